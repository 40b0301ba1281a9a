"""Where things are: `GET /` answers a small JSON index, and `python wsgi.py` names the same
places in its first log lines."""

import logging

from flask import Blueprint, Flask, current_app, url_for

from uzbekhub.common.deadline import answers_within
from uzbekhub.common.schema_state import NOT_MIGRATED, schema_is_migrated
from uzbekhub.extensions import db
from uzbekhub.operations.health import READY_SECONDS, in_app

log = logging.getLogger(__name__)

index = Blueprint("index", __name__)

REFERENCE = "docs/README.md in the repository: errors, pagination, throttling, tokens, real time"


def places(app: Flask) -> dict[str, str]:
    """Paths of what a client developer looks for first."""
    found = {
        "openapi": "/" + app.config["OPENAPI_JSON_PATH"],
        "swagger_ui": app.config["OPENAPI_SWAGGER_UI_PATH"],
        "redoc": app.config["OPENAPI_REDOC_PATH"],
        "websocket": "/ws/chat/",
        "socketio": "/socket.io/",
    }
    if "dev_mail" in app.blueprints:
        found["dev_mail"] = "/dev/mail/"
    return found


@index.get("/")
def api_index():
    """A small index of the service's entry points (not part of the API)."""
    root = url_for("index.api_index", _external=True).rstrip("/")
    links = {name: root + path for name, path in places(current_app).items()}
    links["websocket"] = "ws" + links["websocket"].removeprefix("http")
    return {
        "name": current_app.config["API_TITLE"],
        "version": current_app.config["API_VERSION"],
        "api_prefix": "/api/",
        "links": links,
        "socketio_namespace": "/chat",
        "reference": REFERENCE,
    }


def register_index(app: Flask) -> None:
    app.register_blueprint(index)


def announce(app: Flask) -> None:
    """The server's first lines: where to look, and what to do if the database is not ready."""
    host = app.config["HOST"]
    root = f"http://{host}:{app.config['PORT']}"
    found = places(app)
    log.info("UzbekHub on %s/: the API under /api/", root)
    for name in ("swagger_ui", "redoc", "openapi", "dev_mail"):
        if name in found:
            log.info("  %-10s %s%s", name, root, found[name])
    # A database host that never answers must not keep the server from listening (its
    # /healthz, /readyz and everything not needing the database).
    (migrated,) = answers_within(
        READY_SECONDS,
        {"database": lambda: in_app(app, lambda: schema_is_migrated(db.engine, db.metadata))},
    ).values()
    if isinstance(migrated, Exception):
        log.warning("database unavailable: %s", migrated)
    elif not migrated:
        log.error(NOT_MIGRATED)
