"""The one error format of DESIGN.md §3, whatever raised the error.

Views and services raise the exceptions below (or werkzeug's); they never build
error dictionaries themselves.
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
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from uzbekhub.common.request_log import request_id

log = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"
FORBIDDEN_DETAIL = "You do not have permission to perform this action."


class ValidationFailed(HTTPException):
    """400 with field errors: `details` maps a field name to a list of sentences."""

    code = 400

    def __init__(self, details: Mapping[str, list[str] | str]):
        super().__init__()
        self.details = {k: v if isinstance(v, list) else [v] for k, v in details.items()}


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


class NotFound(HTTPException):
    code = 404
    description = "Resource not found"


class PayloadTooLarge(HTTPException):
    code = 413
    description = "The uploaded file is too large."


class Throttled(HTTPException):
    code = 429

    def __init__(self, wait_seconds: float):
        super().__init__()
        self.wait_seconds = max(1, math.ceil(wait_seconds))


class ServiceUnavailable(HTTPException):
    code = 503
    description = "The service is temporarily unavailable. Try again shortly."


def _flatten_webargs(messages: Mapping) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"field": [...]}}); clients see fields."""
    details: dict[str, list[str]] = {}
    for location_errors in messages.values():
        if isinstance(location_errors, Mapping):
            for field, errs in location_errors.items():
                name = NON_FIELD if field == "_schema" else str(field)
                details.setdefault(name, []).extend(_as_sentences(errs))
        else:
            details.setdefault(NON_FIELD, []).extend(_as_sentences(location_errors))
    return details


def _as_sentences(errs) -> list:
    if isinstance(errs, list | tuple):
        return list(errs)
    return [errs]


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
    if status == 415:
        exc.description = "Unsupported media type."
    return respond(status, exc, headers)


def handle_rate_limit(exc: RateLimitExceeded):
    limits = [lim.current_limit for lim in current_app.extensions.get("limiter", ())]
    resets = [limit.reset_at for limit in limits if limit is not None]
    wait = (max(resets) - time.time()) if resets else 60
    return handle_http_exception(Throttled(wait))


def _rollback() -> None:
    current_app.extensions["sqlalchemy"].session.rollback()


def handle_integrity_error(exc: IntegrityError):
    """A unique or foreign-key constraint caught a race the service did not: 400."""
    _rollback()
    log.info("integrity error answered as 400: %s", exc.orig)
    return respond(400, invalid(NON_FIELD, "This conflicts with existing data."))


def handle_database_unavailable(exc: OperationalError):
    with contextlib.suppress(OperationalError):
        _rollback()
    log.warning("database unavailable: %s", exc)
    return respond(503, ServiceUnavailable())


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
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(RedisConnectionError, handle_redis_unavailable)
    app.register_error_handler(RedisTimeoutError, handle_redis_unavailable)
