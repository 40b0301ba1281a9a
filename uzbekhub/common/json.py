"""JSON in and out: orjson behind Flask's JSON provider, and the one strict reader of
client JSON (request bodies, Socket.IO payloads, WebSocket frames).

Client JSON is read once, by one parser, as RFC 8259 has it: no NaN or Infinity, no
key twice in an object, and no deeper than MAX_JSON_DEPTH. Anything a second parser
could read differently (a throttle keyed on the email, a view checking the password)
is refused, so every reader of a body sees the same value.
"""

import json
import logging
from typing import Any

import orjson
from flask import Request, Response, current_app
from flask.json.provider import DefaultJSONProvider

from uzbekhub.errors import NON_FIELD, invalid

log = logging.getLogger(__name__)

# No request or frame of this API nests more than a few levels.
MAX_JSON_DEPTH = 32


class InvalidJSON(ValueError):
    """Client JSON refused; `reason` says why when it is more than bad syntax."""

    def __init__(self, reason: str | None = None):
        super().__init__(f"Invalid JSON body: {reason}." if reason else "Invalid JSON body.")
        self.reason = reason


def loads_strict(data: str | bytes | bytearray) -> Any:
    try:
        # orjson refuses NaN, Infinity, invalid UTF-8, and nesting past its own limit (1024).
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if exc.msg.startswith("depth limit"):
            raise _too_deep() from None
        raise InvalidJSON() from None
    objects = _objects_within_depth(value)
    if objects and _has_duplicate_keys(data):
        raise InvalidJSON("an object names the same key twice")
    return value


def _objects_within_depth(value: Any) -> bool:
    """Whether `value` holds an object; InvalidJSON beyond MAX_JSON_DEPTH (walked without
    recursion, so the check itself cannot overflow the stack)."""
    objects = False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            objects = True
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in children)
    return objects


def _too_deep() -> InvalidJSON:
    log.info("refused client JSON nested deeper than %d levels", MAX_JSON_DEPTH)
    return InvalidJSON(f"nested deeper than {MAX_JSON_DEPTH} levels")


def _has_duplicate_keys(data: str | bytes | bytearray) -> bool:
    """orjson keeps the last of repeated keys silently; the standard parser tells them.
    Safe to recurse here: the depth was checked first."""
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict:
        nonlocal found
        value = dict(items)
        found = found or len(value) != len(items)
        return value

    json.loads(data, object_pairs_hook=pairs)
    return found


class OrjsonProvider(DefaultJSONProvider):
    OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_SUBCLASS

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=self.default, option=self.OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """`request.get_json()` reads bodies with this: the strict reader."""
        return loads_strict(s)

    def response(self, *args: Any, **kwargs: Any):
        obj = self._prepare_response_obj(args, kwargs)
        body = orjson.dumps(obj, default=self.default, option=self.OPTIONS)
        return self._app.response_class(body, mimetype=self.mimetype)


class StrictJSONRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, InvalidJSON):
            raise invalid(NON_FIELD, str(e))
        return super().on_json_loading_failed(e)


def json_response(obj: Any, headers: dict | None = None) -> Response:
    """A 200 answer of `obj` already shaped as its schema dumps it (UUIDs and UTC datetimes
    are written by orjson the way the schemas write them).

    For the hot reads: flask-smorest passes a `Response` through without dumping, while the
    view's `@blp.response(schema)` still documents the answer.
    """
    body = orjson.dumps(obj, option=OrjsonProvider.OPTIONS)
    return current_app.response_class(body, mimetype="application/json", headers=headers)
