"""The one error format (docs/errors.md), whatever raised the error.

Views and services raise the exceptions below (or werkzeug's); they never build
error dictionaries themselves. "404 if missing" is Flask-SQLAlchemy's `db.get_or_404`
and `db.first_or_404` (werkzeug's NotFound, answered here like every 404).
"""

import contextlib
import logging
import math
import time
from collections.abc import Mapping

from flask import Flask, current_app, jsonify
from flask_limiter.errors import RateLimitExceeded
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from uzbekhub.common.request_log import request_id
from uzbekhub.common.schema_state import NOT_MIGRATED, schema_is_migrated

log = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"
FORBIDDEN_DETAIL = "You do not have permission to perform this action."


class ValidationFailed(HTTPException):
    """400 with field errors: `details` maps a field name to a list of sentences."""

    code = 400

    def __init__(self, details: Mapping[str, list[str] | str]):
        super().__init__()
        self.details = error_details(details)


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: [message]})


class Unauthorized(HTTPException):
    code = 401

    def __init__(self, detail: str = "Authentication credentials were not provided."):
        super().__init__(detail)


class Forbidden(HTTPException):
    code = 403

    def __init__(self, detail: str = FORBIDDEN_DETAIL):
        super().__init__(detail)


class PayloadTooLarge(HTTPException):
    code = 413
    description = "The uploaded file is too large."


class UnsupportedMediaType(HTTPException):
    code = 415

    def __init__(self, sent: str, accepted: tuple[str, ...]):
        what = f"'{sent}'" if sent else "without a Content-Type"
        super().__init__(f"A body {what} is not read here: send {' or '.join(accepted)}.")


class Throttled(HTTPException):
    """429: `wait_seconds` is whole seconds, at least 1, and never more than the throttle's
    `window` (its storage may round the reset time up by a second)."""

    code = 429

    def __init__(self, wait_seconds: float, window: float):
        super().__init__()
        self.wait_seconds = max(1, min(math.ceil(wait_seconds), int(window)))


class ServiceUnavailable(HTTPException):
    code = 503
    description = "The service is temporarily unavailable. Try again shortly."


class SchemaNotMigrated(ServiceUnavailable):
    description = NOT_MIGRATED[0].upper() + NOT_MIGRATED[1:] + "."


class MediaStorageUnavailable(ServiceUnavailable):
    description = "The media storage is out of reach. Try again shortly."


def error_details(messages) -> dict[str, list[str]]:
    """marshmallow's (or a service's) errors as the documented `details`: a list of sentences
    per field. marshmallow nests the errors of list items under their positions
    ({"members": {1: [...]}}); each becomes a sentence that names its item ("Item 1: ...").
    REST, the WebSocket and Socket.IO all answer through this."""
    if not isinstance(messages, Mapping):
        return {NON_FIELD: _sentences(messages)}
    details: dict[str, list[str]] = {}
    for key, value in messages.items():
        field = NON_FIELD if key == "_schema" else str(key)
        details.setdefault(field, []).extend(_sentences(value))
    return details


def _sentences(errors, prefix: str = "") -> list[str]:
    if isinstance(errors, Mapping):
        return [
            sentence
            for key, value in errors.items()
            for sentence in _sentences(value, f"{prefix}Item {key}: ")
        ]
    if isinstance(errors, list | tuple):
        return [sentence for error in errors for sentence in _sentences(error, prefix)]
    return [f"{prefix}{errors}"]


def _flatten_webargs(messages: Mapping) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"field": [...]}}); clients see fields."""
    details: dict[str, list[str]] = {}
    for location_errors in messages.values():
        for field, sentences in error_details(location_errors).items():
            details.setdefault(field, []).extend(sentences)
    return details


def error_body(status: int, exc: HTTPException | None = None) -> dict:
    description = getattr(exc, "description", None)
    if status == 400:
        return {"error": "Invalid request data", "details": _details_of(exc)}
    if status in (401, 403):
        return {"detail": description or FORBIDDEN_DETAIL}
    if status == 404:
        return {"error": "Resource not found"}
    if status == 429:
        return {
            "message": "Request was throttled",
            "wait_seconds": getattr(exc, "wait_seconds", 60),
        }
    if status >= 500 and status != 503:
        # The id finds the request's log lines, its traceback among them.
        return {"error": "Internal server error occurred", "request_id": request_id()}
    return {"error": description or "Request failed"}


def _details_of(exc: HTTPException | None) -> dict:
    if isinstance(exc, ValidationFailed):
        return exc.details
    data = getattr(exc, "data", None) or {}
    if "messages" in data:
        return _flatten_webargs(data["messages"])
    return {NON_FIELD: [getattr(exc, "description", None) or "Invalid request."]}


def respond(status: int, exc: HTTPException | None = None, headers: Mapping | None = None):
    response = jsonify(error_body(status, exc))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    if status >= 500 and status != 503:
        original = getattr(exc, "original_exception", None)
        if original is not None and not isinstance(original, HTTPException):
            return handle_unexpected(original)
    headers = {}
    if status == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 429:
        headers["Retry-After"] = str(exc.wait_seconds)
    if status == 405:
        exc.description = "Method not allowed."
    if status == 413 and not isinstance(exc, PayloadTooLarge):
        exc.description = PayloadTooLarge.description
    if status == 415 and not isinstance(exc, UnsupportedMediaType):
        exc.description = "Unsupported media type."
    return respond(status, exc, headers)


def handle_rate_limit(exc: RateLimitExceeded):
    window = exc.limit.limit.get_expiry()
    limits = [lim.current_limit for lim in current_app.extensions.get("limiter", ())]
    resets = [limit.reset_at for limit in limits if limit is not None]
    wait = (max(resets) - time.time()) if resets else window
    return handle_http_exception(Throttled(wait, window))


def _rollback() -> None:
    current_app.extensions["sqlalchemy"].session.rollback()


def handle_integrity_error(exc: IntegrityError):
    """A unique or foreign-key constraint caught a race the service did not: 400."""
    _rollback()
    log.info("integrity error answered as 400: %s", exc.orig)
    return respond(400, invalid(NON_FIELD, "This conflicts with existing data."))


def handle_database_error(exc: OperationalError | ProgrammingError):
    """A database that is away is 503; so is one that was never migrated (its tables are
    missing: "no such table" on SQLite, "relation does not exist" on PostgreSQL), with a log
    line that says what to do. Any other programming error is a bug: 500."""
    with contextlib.suppress(OperationalError):
        _rollback()
    if not _schema_is_migrated():
        log.error(NOT_MIGRATED)
        return respond(503, SchemaNotMigrated())
    if isinstance(exc, ProgrammingError):
        return handle_unexpected(exc)
    log.warning("database unavailable: %s", exc)
    return respond(503, ServiceUnavailable())


def _schema_is_migrated() -> bool:
    try:
        database = current_app.extensions["sqlalchemy"]
        return schema_is_migrated(database.engine, database.metadata)
    except SQLAlchemyError:
        return True  # unreachable: nothing is known about its tables


def handle_redis_unavailable(exc: Exception):
    log.warning("redis unavailable: %s", exc)
    return respond(503, ServiceUnavailable())


def handle_unexpected(exc: BaseException):
    log.error("unhandled exception", exc_info=(type(exc), exc, exc.__traceback__))
    return respond(500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_database_error)
    app.register_error_handler(ProgrammingError, handle_database_error)
    app.register_error_handler(RedisConnectionError, handle_redis_unavailable)
    app.register_error_handler(RedisTimeoutError, handle_redis_unavailable)
