"""The one way chat state changes reach clients.

Services call `publish()` with a payload shaped as the events of docs/realtime.md.
The event is handed to subscribers only after the session commits
(`uzbekhub.common.db.after_commit`: a rolled-back change is never announced), so
"committed before broadcast" holds by construction. Ephemeral signals that change no state
(typing) use `publish_now()`.

The default bus dispatches in-process to its subscribers; the real-time layer
subscribes once and delivers each event to `recipients` over Socket.IO and the
plain WebSocket (through Redis across processes).
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from flask import Flask, current_app

from uzbekhub.common.db import after_commit
from uzbekhub.extensions import db

log = logging.getLogger(__name__)

# The "room" of events about a user rather than a chat room (notifications): they reach
# every socket of the user's, one-room sockets included.
USER_EVENTS = ""


@dataclass(frozen=True)
class ChatEvent:
    room_id: str
    payload: dict
    # Users the event is for: the room's members when it happened, plus anyone it
    # removed (a removed member, the members of a deleted room).
    recipients: tuple[int, ...]
    # A user not to send it to (the typist of `user_typing`).
    exclude_user_id: int | None = None

    @property
    def type(self) -> str:
        return self.payload["type"]


Handler = Callable[[ChatEvent], None]


class EventBus:
    """Hands every published event to each subscriber, in subscription order.

    Handlers run right after the commit: they deliver, and must not use the
    database session (it can emit no SQL at that point).
    """

    def __init__(self):
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Add `handler`; returns a function that removes it again."""
        self._handlers.append(handler)
        return lambda: self.unsubscribe(handler)

    def unsubscribe(self, handler: Handler) -> None:
        if handler in self._handlers:
            self._handlers.remove(handler)

    def dispatch(self, chat_event: ChatEvent) -> None:
        for handler in list(self._handlers):
            try:
                handler(chat_event)
            except Exception:
                # One failing transport must not hide the event from the others,
                # nor fail a request whose change is already committed.
                log.exception("chat event handler %r failed on %s", handler, chat_event.type)


def bus(app: Flask | None = None) -> EventBus:
    return (app or current_app).extensions["chat_events"]


def _event(room_id, payload, recipients, exclude_user_id) -> ChatEvent:
    return ChatEvent(
        room_id=str(room_id),
        payload=payload,
        recipients=tuple(dict.fromkeys(recipients)),
        exclude_user_id=exclude_user_id,
    )


def publish(
    room_id, payload: dict, recipients: Iterable[int], *, exclude_user_id: int | None = None
) -> None:
    """Announce a change once the current transaction commits."""
    after_commit(
        db.session, partial(bus().dispatch, _event(room_id, payload, recipients, exclude_user_id))
    )


def publish_now(
    room_id, payload: dict, recipients: Iterable[int], *, exclude_user_id: int | None = None
) -> None:
    """Announce a signal that changes nothing in the database (typing)."""
    bus().dispatch(_event(room_id, payload, recipients, exclude_user_id))


def publish_to_user(user_id: int, payload: dict) -> None:
    """Announce an event about the user to every socket of theirs, on every process; the
    caller has committed the change already."""
    bus().dispatch(_event(USER_EVENTS, payload, (user_id,), None))


def register_events(app: Flask) -> None:
    app.extensions["chat_events"] = EventBus()
