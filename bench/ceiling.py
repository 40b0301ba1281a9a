"""B6, the ceiling: a trivial WSGI app answering a constant 2 KB JSON, under the server
`python wsgi.py` uses (eventlet's WSGI server, the same access log), on HOST/PORT.

    .venv/bin/python bench/ceiling.py        # PORT=5001 by default

The ratio of a scenario's requests/s to this one's, measured in the same run, is what
the targets of issue 9 are written in: it cancels out the machine and the server.
"""

import os
import warnings

warnings.filterwarnings("ignore", message="Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import logging  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import eventlet.wsgi  # noqa: E402
import orjson  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from config import load_config  # noqa: E402
from uzbekhub.common.request_log import EVENTLET_ACCESS_LINE, server_logger  # noqa: E402

BODY_BYTES = 2048


def constant_body(size: int = BODY_BYTES) -> bytes:
    """A JSON document of exactly `size` bytes, shaped like an API answer."""
    item = {"id": 0, "username": "u0000000", "full_name": "Bekzod Karimov", "bio": ""}
    doc = {"count": 0, "next": None, "previous": None, "results": [], "padding": ""}
    while len(orjson.dumps(doc)) < size - 200:
        doc["results"].append({**item, "id": len(doc["results"])})
    doc["count"] = len(doc["results"])
    doc["padding"] = "x" * (size - len(orjson.dumps(doc)))
    body = orjson.dumps(doc)
    assert len(body) == size
    return body


BODY = constant_body()
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]


def serve(wsgi_app, default_port: int) -> None:
    """`wsgi_app` on HOST/PORT, as `python wsgi.py` starts the API through
    flask_socketio.SocketIO.run (see its options), with the same access log."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", str(default_port)))
    eventlet.wsgi.server(
        eventlet.listen((host, port)),
        wsgi_app,
        log_output=True,
        log=server_logger(),
        log_format=EVENTLET_ACCESS_LINE,
        protocol=NoDelayProtocol,
        max_size=load_config()["MAX_CONNECTIONS"],
    )


def main() -> None:
    serve(app, 5001)


class NoDelayProtocol(eventlet.wsgi.HttpProtocol):
    """The protocol `python wsgi.py` serves with: Nagle's algorithm off."""

    def setup(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()


if __name__ == "__main__":
    main()
