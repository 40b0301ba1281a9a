"""UzbekHub backend: create_app() builds the Flask application."""

import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from inspect import iscoroutinefunction

from flask import Flask, request
from flask_cors import CORS
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, UnicodeConverter

from config import load_config
from uzbekhub.accounts import (
    admin_routes,
    auth_routes,
    discovery_routes,
    location_routes,
    profile_routes,
    social_routes,
)
from uzbekhub.accounts.tokens import register_jwt
from uzbekhub.accounts.users import on_user_deleted
from uzbekhub.chat import file_services as chat_file_services
from uzbekhub.chat import room_services as chat_room_services
from uzbekhub.chat import routes as chat_routes
from uzbekhub.chat.namespace import session_notes as socketio_session_notes
from uzbekhub.chat.realtime import register_realtime, socketio_options
from uzbekhub.chat.routes import register_chat
from uzbekhub.cli import create_admin, seed_demo
from uzbekhub.comments import routes as comment_routes
from uzbekhub.common.db import (
    MAX_ID,
    enforce_sqlite_foreign_keys,
    never_reuse_ids,
    register_after_commit,
    render_migration_type,
)
from uzbekhub.common.http_headers import register_security_headers
from uzbekhub.common.json import OrjsonProvider
from uzbekhub.common.media import register_media
from uzbekhub.common.pool import ping_idle_connections
from uzbekhub.common.quota import count_media
from uzbekhub.common.ratelimit import register_limiter
from uzbekhub.common.redis import register_redis
from uzbekhub.common.request_log import register_logging
from uzbekhub.common.request_log import wrap as log_requests
from uzbekhub.common.request_urls import UzbekHubRequest
from uzbekhub.common.routing import RouteMap
from uzbekhub.common.smorest import is_form_request
from uzbekhub.dev_mail import register_dev_mail
from uzbekhub.docs import docs_config, register_docs_assets, spec_plugins
from uzbekhub.errors import PayloadTooLarge, register_error_handlers
from uzbekhub.extensions import api, db, mail, migrate, socketio
from uzbekhub.index import register_index
from uzbekhub.notifications import hooks as notification_hooks
from uzbekhub.notifications import routes as notification_routes
from uzbekhub.notifications.live import register_notifier
from uzbekhub.operations import health, metrics
from uzbekhub.operations.media_migrate import media_cli
from uzbekhub.operations.purge import purge_command
from uzbekhub.posts import routes as post_routes
from uzbekhub.posts import services as post_services
from uzbekhub.stories import routes as story_routes
from uzbekhub.stories import services as story_services

MIB = 1024 * 1024
READS = frozenset({"GET", "HEAD", "OPTIONS"})
BLUEPRINTS = (
    auth_routes.blp,
    profile_routes.blp,
    discovery_routes.blp,
    location_routes.blp,
    social_routes.blp,
    admin_routes.blp,
    post_routes.blp,
    story_routes.blp,
    comment_routes.blp,
    *chat_routes.BLUEPRINTS,
    notification_routes.blp,
)


_is_coroutine_function = lru_cache(maxsize=1024)(iscoroutinefunction)


class UzbekHub(Flask):
    url_map_class = RouteMap

    def dispatch_request(self):
        """A read whose database connection turned out dropped (the database restarted, a
        proxy timed out) runs once more, on a new connection: the pool does not ping
        connections before handing them out."""
        try:
            return super().dispatch_request()
        except DBAPIError as exc:
            if not exc.connection_invalidated or request.method not in READS:
                raise
            db.session.rollback()
            return super().dispatch_request()

    def ensure_sync(self, func: Callable) -> Callable:
        """Flask asks this of every view and hook, a dozen times a request; whether a
        function is a coroutine function is remembered (a bound method's, by its function)."""
        if _is_coroutine_function(getattr(func, "__func__", func)):
            return self.async_to_sync(func)
        return func

    def log_exception(self, exc_info) -> None:
        """The 500 handler (uzbekhub.errors) logs the traceback, once, with the request id."""


def create_app(overrides: Mapping | None = None) -> Flask:
    app = UzbekHub(__name__, instance_relative_config=True, static_folder=None)
    app.json = OrjsonProvider(app)
    app.request_class = UzbekHubRequest
    configure(app, overrides)
    register_logging(app)
    register_extensions(app)
    # Creates the chat's event bus: register_realtime, below, subscribes the sockets to it.
    register_chat(app)
    register_blueprints(app)
    register_user_deletion_hooks()
    register_media_quota()
    register_dev_mail(app)
    register_index(app)
    register_realtime(app)
    register_notifier(app)
    register_error_handlers(app)
    register_request_limits(app)
    register_security_headers(app)
    register_cli(app)
    log_requests(app, [metrics.observe_request], socketio_session_notes)
    return app


class IdConverter(IntegerConverter):
    """`<int:...>` in routes. Ids are 32-bit on every backend: a larger number names nothing
    (404) rather than overflowing the database driver (a 500 on SQLite)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class TextConverter(UnicodeConverter):
    """`<...>` and `<string:...>` in routes. PostgreSQL text cannot hold a null character
    (the driver raises: a 500): a segment with one names nothing (404)."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)


def configure(app: Flask, overrides: Mapping | None) -> None:
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    app.config.update(load_config())
    app.config.update(docs_config())
    app.config.update(overrides or {})
    os.makedirs(app.instance_path, exist_ok=True)
    media_root = app.config["MEDIA_ROOT"]
    if not os.path.isabs(media_root):
        app.config["MEDIA_ROOT"] = os.path.join(app.instance_path, media_root)
    # The largest legal request: ten images at the upload limit, plus form fields.
    app.config["MAX_CONTENT_LENGTH"] = int((app.config["MAX_UPLOAD_MB"] * 10 + 1) * MIB)
    app.config.setdefault("MAX_JSON_BYTES", MIB)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    app.config["JSON_SORT_KEYS"] = False
    trust_proxies(app)


def trust_proxies(app: Flask) -> None:
    """Take the client's address, scheme and host from the PROXY_FIX_HOPS proxies in front."""
    hops = app.config["PROXY_FIX_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def engine_options(config: Mapping) -> dict:
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Several eventlet green threads share the file; wait for locks instead of failing.
        options = {"connect_args": {"timeout": 15}}
        if config["ASYNC_MODE"] == "eventlet":
            # sqlite3 waits for a lock in C, stalling the whole hub, the lock's holder included:
            # one connection, handed over between green threads, makes requests wait greenly.
            options.update(pool_size=1, max_overflow=0, pool_timeout=60)
        return options
    # No pre-ping (a round trip at every checkout): only a connection idle in the pool is
    # pinged (`common.pool`); a busy one the server dropped fails on use, SQLAlchemy then
    # invalidates the pool, and a read is tried once more (`UzbekHub.dispatch_request`).
    # Keepalives find half-open connections in between.
    # The pool keeps what concurrent requests use: a connection opened beyond it is closed
    # when given back, and opening one costs both sides far more than a query (PostgreSQL
    # starts a backend process for it).
    return {
        "pool_size": config["DATABASE_POOL_SIZE"],
        "max_overflow": config["DATABASE_MAX_OVERFLOW"],
        "pool_recycle": 1800,
        "connect_args": {
            # API queries are short: starting parallel workers (~10 ms) or JIT-compiling a
            # plan costs more than it saves, and one request should not take several cores.
            # Prepared statements (the hot reads, common.reads) keep one generic plan: left
            # to choose, PostgreSQL planned the feed anew at every execution (~0.7 ms of its
            # ~1 ms), its estimate of a generic plan inflated by the unknown LIMIT.
            "options": (
                "-c max_parallel_workers_per_gather=0 -c jit=off"
                " -c plan_cache_mode=force_generic_plan"
            ),
            # A host that never answers fails the connection instead of holding it for
            # minutes (libpq ignores it under psycogreen: see uzbekhub.common.deadline).
            "connect_timeout": 5,
            "keepalives": 1,
            "keepalives_idle": 60,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        },
    }


def register_extensions(app: Flask) -> None:
    enforce_sqlite_foreign_keys()
    ping_idle_connections()
    register_after_commit()
    db.init_app(app)
    never_reuse_ids(db.metadata)
    migrate.init_app(
        app, db, compare_type=True, render_as_batch=True, render_item=render_migration_type
    )
    register_redis(app)
    register_jwt(app)
    register_limiter(app)
    mail.init_app(app)
    CORS(app, origins=app.config["CORS_ORIGINS"], expose_headers=["X-Total-Count", "Link"])
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        cors_allowed_origins=socketio_cors_origins(app.config),
        **socketio_options(app.config),
    )
    api.init_app(app, spec_kwargs=spec_plugins())
    register_media(app)
    register_docs_assets(app)


def socketio_cors_origins(config: Mapping) -> list[str] | None:
    """None is engine.io's "same origin only"; an empty list would refuse every browser."""
    return config["CORS_ORIGINS"] or None


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(health.blp)
    if app.config["METRICS_ENABLED"]:
        app.register_blueprint(metrics.blp)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)


def register_user_deletion_hooks() -> None:
    """What each domain removes with a deleted user (beyond the rows the database cascades)."""
    for hook in (
        post_services.remove_files_of_user,
        story_services.remove_files_of_user,
        chat_file_services.remove_files_of_user,
        chat_room_services.leave_rooms_of_deleted_user,
        notification_hooks.account_deleted,
    ):
        on_user_deleted(hook)


def register_media_quota() -> None:
    """What counts against a user's MEDIA_QUOTA_MB: each domain's sum of their bytes."""
    for usage in (
        post_services.media_bytes,
        story_services.media_bytes,
        chat_file_services.media_bytes,
    ):
        count_media(usage)


def register_request_limits(app: Flask) -> None:
    """Refuse over-large bodies from their Content-Length, before reading them."""

    @app.before_request
    def _limit_body_size():
        length = request.content_length
        if length is None:
            return
        limit = app.config["MAX_CONTENT_LENGTH"]
        if not is_form_request():
            limit = min(limit, app.config["MAX_JSON_BYTES"])
        if length > limit:
            raise PayloadTooLarge("The request body is too large.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(purge_command)
    app.cli.add_command(media_cli)
