"""The real-time chat protocol (docs/realtime.md), shared by both transports.

A transport authenticates a connection (`authenticate`, and `open_room` for a
socket bound to one room), wraps it in a `Peer` and hands every frame it
receives to `handle_frame`. That validates the frame, calls the chat service
and answers with a reply frame (`pong` or `error`) or with nothing: a change is
acknowledged by its own event, which every member's connections receive, the
sender's included. Whatever goes wrong with a frame becomes an `error` frame;
the connection stays open.
"""

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

import marshmallow as ma
import orjson
from flask import current_app
from werkzeug.exceptions import HTTPException, NotFound

from uzbekhub.accounts import caller, tokens
from uzbekhub.accounts.models import User
from uzbekhub.accounts.token_state import token_states
from uzbekhub.accounts.users import record_last_online
from uzbekhub.chat import lookups, message_services
from uzbekhub.common.db import MAX_ID
from uzbekhub.common.json import InvalidJSON, loads_strict
from uzbekhub.common.schemas import Boolean
from uzbekhub.errors import Unauthorized, ValidationFailed, error_details
from uzbekhub.extensions import db

log = logging.getLogger(__name__)

# Close codes of the plain WebSocket (Socket.IO refuses the connection with the same code).
BAD_TOKEN = 4401
NOT_A_MEMBER = 4403
NO_SUCH_ROOM = 4404
GOING_AWAY = 1001

INVALID = "Invalid request data"
NOT_JSON = "Frames must be JSON objects."
UNKNOWN_TYPE = "Unknown frame type."
THROTTLED = "Too many frames: wait before sending more."
SHUTTING_DOWN = "The server is restarting: reconnect and send this again."
SERVER_ERROR = "Internal server error occurred"
SESSION_ENDED = "Your session has ended: sign in again."


@dataclass(frozen=True)
class RefusedFrame:
    """What a transport hands `handle_frame` for a payload its JSON reader refused."""

    reason: str | None


def frame_refusal(exc: InvalidJSON) -> dict:
    return error_frame(f"{NOT_JSON[:-1]}: {exc.reason}." if exc.reason else NOT_JSON)


class Refused(Exception):
    """A connection that may not be opened, and the close code that says why."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class SessionEnded(Exception):
    """The connection's user or token is no longer valid."""


@dataclass
class Identity:
    """Who a connection belongs to, and the tokens that let it in."""

    user_id: int
    token_version: int
    # The sign-in session the access token belongs to (a logout of it ends the connection).
    session: str


def error_frame(sentence: str, details: dict | None = None, **extra) -> dict:
    frame = {"type": "error", "error": sentence}
    if details:
        frame["details"] = details
    frame.update(extra)
    return frame


def encode(frame: dict) -> bytes:
    """A frame as the UTF-8 text the plain WebSocket sends."""
    return orjson.dumps(frame, option=orjson.OPT_NON_STR_KEYS)


# --- opening a connection -----------------------------------------------------------------------


def request_token() -> str | None:
    """The access token of a socket's opening request: `Authorization: Bearer <token>`, else
    `?token=` (browsers cannot set headers on a WebSocket)."""
    return caller.request_token(query_string=True)


def authenticate(token: str | None) -> Identity:
    """The identity behind an access token; Refused(4401) for anything else."""
    if not token:
        raise Refused(BAD_TOKEN, tokens.NO_CREDENTIALS)
    try:
        claims = tokens.access_claims(token)
    except Unauthorized as refused:
        raise Refused(BAD_TOKEN, refused.description) from None
    return Identity(claims.user_id, claims.version, claims.session)


def open_room(identity: Identity, raw_room_id: str) -> uuid.UUID:
    """The room a one-room socket is for: 4404 if there is no such room, 4403 if the
    caller is not a member."""
    try:
        room_id = uuid.UUID(raw_room_id)
    except ValueError:
        raise Refused(NO_SUCH_ROOM, "No such room.") from None
    if lookups.membership(room_id, identity.user_id) is None:
        if not lookups.room_exists(room_id):
            raise Refused(NO_SUCH_ROOM, "No such room.")
        raise Refused(NOT_A_MEMBER, "You are not a member of this room.")
    return room_id


def connection_closed(peer: "Peer") -> None:
    """Record when the user was last online (they may still be, on another connection)."""
    try:
        record_last_online(peer.user_id)
    except Exception:
        log.exception("could not record last_online of user %s", peer.user_id)
        db.session.rollback()
    finally:
        db.session.remove()


# --- per connection -----------------------------------------------------------------------------


class TokenBucket:
    """`rate` frames a second on average, bursts of up to `burst`; a rate of 0 is unlimited.

    Each connection starts with its own; the delivery hub hands every connection of a
    user the same one (`Hub.add`), so a second socket does not double the rate.
    """

    __slots__ = ("rate", "burst", "tokens", "stamp", "lock")

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = float(self.burst)
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float:
        """0 when the frame may go; otherwise the seconds until one may."""
        if self.rate <= 0:
            return 0.0
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate


class Peer:
    """One live connection of a user, as delivery and the protocol see it.

    `room` is set for a socket bound to one room (`/ws/chat/<room_id>/`): frames act
    in that room only and only its events reach it.
    """

    def __init__(self, identity: Identity, room: uuid.UUID | None = None):
        config = current_app.config
        self.user_id = identity.user_id
        self.token_version = identity.token_version
        self.session = identity.session
        self.room = room
        self.room_key = str(room) if room is not None else None
        self.max_frame_bytes = config["CHAT_FRAME_MAX_BYTES"]
        self.bucket = TokenBucket(config["CHAT_FRAMES_PER_SECOND"], config["CHAT_FRAME_BURST"])
        self.ended = False

    def deliver(self, room: str, kind: str, frame: bytes, removed_user: int | None) -> None:
        """An event of `room` for this connection's user, already encoded (UTF-8 JSON)."""
        raise NotImplementedError

    def send_frame(self, frame: dict) -> None:
        """A reply to this connection only."""
        raise NotImplementedError

    def end(self, code: int, reason: str) -> None:
        """Close the connection after what is already queued for it."""
        raise NotImplementedError


# --- frames -------------------------------------------------------------------------------------


class FrameSchema(ma.Schema):
    class Meta:
        # `type` and anything a newer client adds are not errors.
        unknown = ma.EXCLUDE


class RoomFrameSchema(FrameSchema):
    # Required on the multiplexed socket and Socket.IO; a one-room socket ignores it.
    room_id = ma.fields.UUID(required=True)


class ChatMessageFrame(RoomFrameSchema):
    message = ma.fields.String(allow_none=True, load_default=None)
    reply_to = ma.fields.UUID(allow_none=True, load_default=None)
    # Ids are 32-bit (as in REST bodies): SQLite cannot even compare an integer past 2**63.
    files = ma.fields.List(
        ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=MAX_ID)),
        allow_none=True,
        load_default=None,
    )


class EditMessageFrame(FrameSchema):
    message_id = ma.fields.UUID(required=True)
    message = ma.fields.String(required=True, allow_none=True)


class MessageIdFrame(FrameSchema):
    message_id = ma.fields.UUID(required=True)


class TypingFrame(RoomFrameSchema):
    # `true`/`false`, as JSON booleans in REST bodies (not 1, "yes"...).
    is_typing = Boolean(required=True)


class EmptyFrame(FrameSchema):
    pass


@dataclass(frozen=True)
class FrameKind:
    schema: ma.Schema
    run: Callable[["Peer", dict, uuid.UUID | None], dict | None]
    # The field a "not found" from the service is reported on.
    id_field: str | None


def _send(peer: "Peer", frame: dict, room: uuid.UUID | None) -> None:
    # The sender's row comes with the membership, in one statement.
    sender = message_services.Sender(peer.user_id, peer.token_version)
    message_services.send_message(
        sender, frame["room_id"], frame["message"], frame["reply_to"], frame["files"] or ()
    )


def _edit(peer: "Peer", frame: dict, room: uuid.UUID | None) -> None:
    user = _current_user(peer)
    message_services.edit_message(user, frame["message_id"], frame["message"], room_id=room)


def _delete(peer: "Peer", frame: dict, room: uuid.UUID | None) -> None:
    message_services.delete_message(_current_user(peer), frame["message_id"], room_id=room)


def _typing(peer: "Peer", frame: dict, room: uuid.UUID | None) -> None:
    message_services.typing(_current_user(peer), frame["room_id"], frame["is_typing"])


def _read(peer: "Peer", frame: dict, room: uuid.UUID | None) -> None:
    message_services.mark_read(_current_user(peer), frame["message_id"], room_id=room)


def _ping(peer: "Peer", frame: dict, room: uuid.UUID | None) -> dict:
    return {"type": "pong"}


FRAMES: dict[str, FrameKind] = {
    "chat_message": FrameKind(ChatMessageFrame(), _send, "room_id"),
    "edit_message": FrameKind(EditMessageFrame(), _edit, "message_id"),
    "delete_message": FrameKind(MessageIdFrame(), _delete, "message_id"),
    "typing": FrameKind(TypingFrame(), _typing, "room_id"),
    "read": FrameKind(MessageIdFrame(), _read, "message_id"),
    "ping": FrameKind(EmptyFrame(), _ping, None),
}
NOT_FOUND = {
    "room_id": "No such room, or you are not a member of it.",
    "message_id": "No such message in your rooms.",
}
NOT_FOUND_IN_ROOM = {"message_id": "No such message in this room."}


class _BadFrame(Exception):
    def __init__(self, frame: dict):
        super().__init__(frame["error"])
        self.frame = frame


def handle_frame(peer: Peer, data, *, gate=None) -> dict | None:
    """Run one client frame (text, bytes or, from Socket.IO, already decoded); the reply
    for this connection, if any. `gate` (the delivery hub) refuses frames while the
    server stops, and counts the ones in progress so that it can wait for them."""
    if peer.ended:
        return None
    if gate is not None and gate.draining:
        return error_frame(SHUTTING_DOWN)
    wait = peer.bucket.take()
    if wait:
        return error_frame(THROTTLED, wait_seconds=math.ceil(wait))
    try:
        if gate is None:
            return _run(peer, data)
        with gate.frame_in_progress():
            return _run(peer, data)
    except _BadFrame as bad:
        return bad.frame
    except SessionEnded:
        peer.end(BAD_TOKEN, SESSION_ENDED)
        return None
    except Exception:
        log.exception("chat frame from user %s failed", peer.user_id)
        with suppress(Exception):
            db.session.rollback()
        return error_frame(SERVER_ERROR)
    finally:
        db.session.remove()


def _run(peer: Peer, data) -> dict | None:
    frame = _decode(peer, data)
    kind = FRAMES.get(frame.get("type")) if isinstance(frame.get("type"), str) else None
    if kind is None:
        raise _BadFrame(
            error_frame(UNKNOWN_TYPE, {"type": [f"Must be one of: {', '.join(FRAMES)}."]})
        )
    if peer.room is not None:
        frame = {key: value for key, value in frame.items() if key != "room_id"}
    try:
        args = kind.schema.load(frame, partial=("room_id",) if peer.room is not None else ())
    except ma.ValidationError as exc:
        raise _BadFrame(error_frame(INVALID, error_details(exc.messages))) from None
    if peer.room is not None and "room_id" in kind.schema.fields:
        args["room_id"] = peer.room
    _check_state(peer)
    try:
        return kind.run(peer, args, peer.room)
    except message_services.SenderGone:
        db.session.rollback()
        raise SessionEnded() from None
    except ValidationFailed as exc:
        db.session.rollback()
        return error_frame(INVALID, exc.details)
    except NotFound:
        db.session.rollback()
        sentences = NOT_FOUND_IN_ROOM if peer.room is not None else NOT_FOUND
        field = kind.id_field
        return error_frame(INVALID, {field: [sentences.get(field, NOT_FOUND[field])]})
    except HTTPException as exc:
        # Forbidden carries the rule's own sentence.
        db.session.rollback()
        return error_frame(exc.description or SERVER_ERROR)


def _decode(peer: Peer, data) -> dict:
    if isinstance(data, RefusedFrame):
        raise _BadFrame(frame_refusal(InvalidJSON(data.reason)))
    if isinstance(data, str | bytes | bytearray):
        size = len(data) if not isinstance(data, str) else len(data.encode())
        if size > peer.max_frame_bytes:
            limit = peer.max_frame_bytes
            raise _BadFrame(error_frame(f"Frames may be at most {limit} bytes; got {size}."))
        try:
            data = loads_strict(data)
        except InvalidJSON as exc:
            raise _BadFrame(frame_refusal(exc)) from None
    if not isinstance(data, dict):
        raise _BadFrame(error_frame(NOT_JSON))
    return data


def _check_state(peer: Peer) -> None:
    """Every frame: the connection's user, still active and on the token version it signed
    in with, as the token states of HTTP requests remember it (no round trip)."""
    state = token_states().state(peer.user_id, at_least_version=peer.token_version)
    if state is None or not state.is_active or state.token_version != peer.token_version:
        raise SessionEnded()


def _current_user(peer: Peer) -> User:
    """The connection's user, read for a frame that changes something: checked again."""
    user = db.session.get(User, peer.user_id)
    if user is None or not user.is_active or user.token_version != peer.token_version:
        raise SessionEnded()
    return user
