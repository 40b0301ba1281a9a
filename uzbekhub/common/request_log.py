"""Request ids, one access line per request, and the log format (text or JSON).

`RequestLog` wraps the whole WSGI application, Socket.IO and the WebSockets included: it
gives every request an id (the client's `X-Request-ID` when well-formed), returns it in the
response and writes the access line when the answer has been sent. Every log record carries
`request_id` (a record factory adds it), so the lines a request causes can be found together.
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable

from flask import Flask, g, has_request_context, request
from werkzeug.wsgi import ClosingIterator

from uzbekhub.common.http_headers import RedactTokens, redact_tokens

REQUEST_ID_HEADER = "X-Request-ID"
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
ENVIRON_ID = "uzbekhub.request_id"
# What the application learns about the request for its access line. A dict, shared by
# reference: Flask-SocketIO's middleware hands the application a copy of the environ.
ENVIRON_NOTES = "uzbekhub.access_notes"
# In a request's notes: the notes of the long-lived session it belongs to (Socket.IO), where
# the session's user is noted when a later request of the session authenticates it.
SESSION_NOTES = "session"
NO_REQUEST = "-"
# Paths probed every few seconds by load balancers and scrapers: their lines go at DEBUG.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# eventlet's own access line is replaced by ours; its other messages (start, stop, errors
# outside the app) stay. This is the whole text eventlet logs for an access line.
EVENTLET_ACCESS_LINE = "uzbekhub: eventlet access line"


class AccessRequestId(logging.Filter):
    """The access line is written after the request's context is gone: its id is a field."""

    def filter(self, record: logging.LogRecord) -> bool:
        access = getattr(record, "access", None)
        if access:
            record.request_id = access["request_id"]
        return True


access_log = logging.getLogger("uzbekhub.access")
access_log.addFilter(RedactTokens())
access_log.addFilter(AccessRequestId())


def request_id() -> str:
    """The current request's id, or "-" outside a request."""
    if has_request_context():
        return request.environ.get(ENVIRON_ID, NO_REQUEST)
    return NO_REQUEST


# Called with (route template, method, status, seconds) when a request has been answered.
AnswerListener = Callable[[str, str, int, float], None]
# The notes of the session a request belongs to (the environ's), or None: a Socket.IO
# session spans many requests (long-polling) and is authenticated in one of them.
SessionNotes = Callable[[dict], dict | None]


class RequestLog:
    """WSGI middleware: the request id, the access line, and the listeners (metrics)."""

    def __init__(
        self,
        app,
        listeners: Iterable[AnswerListener] = (),
        session_notes: SessionNotes | None = None,
    ):
        self.app = app
        self.listeners = tuple(listeners)
        self.session_notes = session_notes

    def __call__(self, environ, start_response):
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if WELL_FORMED_ID.fullmatch(incoming) else uuid.uuid4().hex
        environ[ENVIRON_ID] = rid
        environ[ENVIRON_NOTES] = notes = {}
        # Taken now: the session may end (and be forgotten) before this request's line.
        session = self.session_notes(environ) if self.session_notes else None
        if session is not None:
            notes[SESSION_NOTES] = session
        started = time.perf_counter()
        answered: list[str] = []

        def start(status, headers, exc_info=None):
            answered.append(status)
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, rid))
            return start_response(status, headers, exc_info)

        def log_line():
            status = _status(answered, environ)
            seconds = time.perf_counter() - started
            _log_access(environ, status, seconds)
            route = _route(environ)
            for listener in self.listeners:
                listener(route, environ.get("REQUEST_METHOD", ""), status, seconds)

        try:
            result: Iterable[bytes] = self.app(environ, start)
        except BaseException:
            answered.append("500")
            log_line()
            raise
        return ClosingIterator(result, [log_line])


def _status(answered: list[str], environ: dict) -> int:
    """The status the request was answered with. A WebSocket library writes its handshake
    (101) to the socket itself, never through start_response."""
    if answered:
        return int(answered[-1].split(" ", 1)[0])
    return 101 if environ.get("HTTP_UPGRADE", "").lower() == "websocket" else 500


def _route(environ: dict) -> str:
    """The route template that answered (bounded, unlike paths), for metrics."""
    route = environ[ENVIRON_NOTES].get("route")
    if route:
        return route
    if environ.get("PATH_INFO", "").startswith("/socket.io/"):
        return "/socket.io/"
    return "<unmatched>"


def _log_access(environ: dict, status: int, seconds: float) -> None:
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING")
    target = redact_tokens(f"{path}?{query}" if query else path)
    notes = environ[ENVIRON_NOTES]
    user = notes.get("user_id")
    if user is None:
        user = notes.get(SESSION_NOTES, {}).get("user_id")
    fields = {
        "request_id": environ[ENVIRON_ID],
        "client": notes.get("client") or environ.get("REMOTE_ADDR", ""),
        "method": environ.get("REQUEST_METHOD", ""),
        "path": target,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "user_id": user,
    }
    level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
    access_log.log(
        level,
        '%s "%s %s" %s %.1fms user=%s',
        fields["client"],
        fields["method"],
        target,
        status,
        fields["duration_ms"],
        user if user is not None else "-",
        extra={"access": fields},
    )


def _note(**facts) -> None:
    notes = request.environ.get(ENVIRON_NOTES)
    if notes is not None:
        notes.update(facts)


def note_user(user_id: int) -> None:
    """Name the user in the access line of a request authenticated outside Flask-JWT-Extended
    (a plain WebSocket's token; a Socket.IO connect, whose request context carries the notes
    of its session, so that the session's later requests name the user too)."""
    _note(user_id=user_id)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; an access line carries its fields, an error its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST),
        }
        entry.update(getattr(record, "access", {}))
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def _add_request_id_to_records() -> None:
    factory = logging.getLogRecordFactory()
    if getattr(factory, "adds_request_id", False):
        return

    def make_record(*args, **kwargs):
        record = factory(*args, **kwargs)
        record.request_id = request_id()
        return record

    make_record.adds_request_id = True
    logging.setLogRecordFactory(make_record)


class DropEventletAccessLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != EVENTLET_ACCESS_LINE


def server_logger() -> logging.Logger:
    """The logger `python wsgi.py` gives eventlet's server."""
    logger = logging.getLogger("uzbekhub.server")
    if not any(isinstance(f, DropEventletAccessLines) for f in logger.filters):
        logger.addFilter(DropEventletAccessLines())
    return logger


def register_logging(app: Flask) -> None:
    _add_request_id_to_records()
    handler = logging.StreamHandler()
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=app.config["LOG_LEVEL"], handlers=[handler])
    logging.captureWarnings(True)

    @app.after_request
    def _note_client_and_user(response):
        # The client as the trusted proxies (PROXY_FIX_HOPS) name it, and the verified user.
        # Set by uzbekhub.accounts.caller.verify_access.
        user = g.get("caller_state")
        _note(
            client=request.remote_addr,
            route=request.url_rule.rule if request.url_rule is not None else None,
        )
        if user is not None:
            note_user(user.id)
        return response


def wrap(
    app: Flask,
    listeners: Iterable[AnswerListener] = (),
    session_notes: SessionNotes | None = None,
) -> None:
    """Outermost, so that Socket.IO and the WebSockets get ids and access lines too."""
    app.wsgi_app = RequestLog(app.wsgi_app, listeners, session_notes)
