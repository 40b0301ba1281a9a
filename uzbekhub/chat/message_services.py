"""Messages (docs/rules.md): history, sending, editing, deleting, read markers, typing.

Called alike by the sockets (sending and the rest) and REST (history, deleting). Each
function commits its own change and announces it through `uzbekhub.chat.events`.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import RedisError
from sqlalchemy import Select, and_, bindparam, delete, select, update
from sqlalchemy.orm import contains_eager, selectinload
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import User
from uzbekhub.accounts.schemas import UserBriefSchema
from uzbekhub.accounts.visibility import is_blocked
from uzbekhub.chat import events
from uzbekhub.chat.lookups import member_ids, require_member
from uzbekhub.chat.models import ADMIN, MAX_TEXT, OWNER, ChatFile, Message, Room, RoomMember
from uzbekhub.chat.schemas import ChatMessageSchema
from uzbekhub.common.db import utcnow
from uzbekhub.common.schemas import UtcDateTime
from uzbekhub.errors import Forbidden, invalid
from uzbekhub.extensions import db

log = logging.getLogger(__name__)

MAX_FILES_PER_MESSAGE = 10
TYPING_REPEAT = RateLimitItemPerSecond(1, 3)
TYPING_KEY = "chat_typing"

_message_schema = ChatMessageSchema()
_user_brief = UserBriefSchema()


def _count_messages(room_id: uuid.UUID, change: int) -> None:
    db.session.execute(
        update(Room)
        .where(Room.id == room_id)
        .values(message_count=Room.message_count + change)
        .execution_options(synchronize_session=False)
    )


def load_messages(stmt: Select) -> list[Message]:
    return list(
        db.session.scalars(
            stmt.options(selectinload(Message.sender), selectinload(Message.attachments))
        ).all()
    )


def message_payload(message: Message) -> dict:
    """A message as history shows it; `chat_message`/`message_edited` frames carry the same."""
    return _message_schema.dump(message)


def _check_may_post(member: RoomMember) -> None:
    room = member.room
    if room.is_group:
        return
    others = [i for i in (room.private_low_id, room.private_high_id) if i != member.user_id]
    if any(is_blocked(member.user_id, other) for other in others if other is not None):
        raise Forbidden("You cannot message this user.")


def _check_text(text: str | None, *, has_files: bool) -> str:
    if text is not None and not isinstance(text, str):
        raise invalid("message", "Not a valid string.")
    text = text or ""
    if len(text) > MAX_TEXT:
        raise invalid("message", f"Messages may be at most {MAX_TEXT} characters.")
    if "\x00" in text:
        # PostgreSQL cannot store it in text; SQLite would, so refuse it on both.
        raise invalid("message", "Messages may not contain null characters.")
    if not text.strip() and not has_files:
        raise invalid("message", "A message needs text or files.")
    return text


@dataclass(frozen=True)
class Sender:
    """Who sends, as a socket knows it: the user and the token version it signed in with."""

    id: int
    token_version: int


class SenderGone(Exception):
    """The sender's account is gone, inactive or on another token version (signed out)."""


@cache
def _sender_and_membership() -> Select:
    """Built once: the sender's row (for the message's `sender`) and, in the same statement,
    the sender's membership of the room with the room."""
    member = and_(RoomMember.user_id == User.id, RoomMember.room_id == bindparam("room_id"))
    return (
        select(User, RoomMember)
        .outerjoin(RoomMember, member)
        .outerjoin(RoomMember.room)
        .where(User.id == bindparam("sender_id"))
        .options(contains_eager(RoomMember.room))
    )


@cache
def _counted_and_read() -> Select:
    """Built once, for PostgreSQL: the room's message count and the sender's read marker
    moved, and the recipients read, in one statement (data-modifying CTEs). Its parameters
    are not named after columns: an UPDATE would take those for values to set."""
    rooms, members = Room.__table__, RoomMember.__table__
    counted = (
        update(rooms)
        .where(rooms.c.id == bindparam("room"))
        .values(message_count=rooms.c.message_count + 1)
        .returning(rooms.c.id)
        .cte("counted")
    )
    marked = (
        update(members)
        .where(members.c.room_id == bindparam("room"), members.c.user_id == bindparam("sender"))
        .values(last_read_at=bindparam("at"))
        .returning(members.c.user_id)
        .cte("marked")
    )
    return (
        select(members.c.user_id)
        .where(members.c.room_id == bindparam("room"))
        .add_cte(counted, marked)
    )


def _count_mark_and_recipients(room_id: uuid.UUID, sender_id: int, now) -> list[int]:
    params = {"room": room_id, "sender": sender_id, "at": now}
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.scalars(_counted_and_read(), params))
    # SQLite has no data-modifying CTEs: the same in three statements.
    _count_messages(room_id, +1)
    db.session.execute(
        update(RoomMember)
        .where(RoomMember.room_id == room_id, RoomMember.user_id == sender_id)
        .values(last_read_at=now)
        .execution_options(synchronize_session=False)
    )
    return member_ids(room_id)


def send_message(
    caller: User | Sender,
    room_id: uuid.UUID,
    text: str | None,
    reply_to: uuid.UUID | None = None,
    files: Sequence[int] = (),
) -> dict:
    """A member's new message: text up to 4,000 characters, or files, or both.

    Returns the message as history shows it (the `chat_message` frame's `message`).
    SenderGone when the sender's row says its token no longer holds: a socket's sender
    is checked against the database here, in the statement that finds the membership.

    Three statements on PostgreSQL for a text message (sender with membership, the
    INSERT, the count, read marker and recipients), five on SQLite, and the commit.
    """
    row = db.session.execute(
        _sender_and_membership(), {"room_id": room_id, "sender_id": caller.id}
    ).first()
    user, member = row if row is not None else (None, None)
    if user is None or not user.is_active or user.token_version != caller.token_version:
        raise SenderGone()
    if member is None:
        raise NotFound()
    _check_may_post(member)
    file_ids = list(dict.fromkeys(files or ()))
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in file_ids):
        raise invalid("files", "List file ids.")
    text = _check_text(text, has_files=bool(file_ids))
    if len(file_ids) > MAX_FILES_PER_MESSAGE:
        raise invalid("files", f"A message may carry at most {MAX_FILES_PER_MESSAGE} files.")
    attachments = _own_files(user.id, file_ids)
    if reply_to is not None:
        in_room = db.session.scalar(
            select(Message.id).where(Message.id == reply_to, Message.room_id == room_id)
        )
        if in_room is None:
            raise invalid("reply_to", "The replied message is not in this room.")
    now = utcnow()
    message = Message(
        room_id=room_id,
        sender=user,
        text=text,
        reply_to_id=reply_to,
        attachments=attachments,
        is_edited=False,
        created_at=now,
        update_at=now,
    )
    db.session.add(message)
    for record in attachments:
        record.is_temporary = False
    db.session.flush()
    recipients = _count_mark_and_recipients(room_id, user.id, now)
    payload = message_payload(message)
    events.publish(room_id, {"type": "chat_message", "message": payload}, recipients)
    db.session.commit()
    return payload


def _own_files(user_id: int, file_ids: list[int]) -> list[ChatFile]:
    if not file_ids:
        return []
    found = {
        record.id: record
        for record in db.session.scalars(
            select(ChatFile).where(ChatFile.id.in_(file_ids), ChatFile.uploader_id == user_id)
        )
    }
    missing = [i for i in file_ids if i not in found]
    if missing:
        raise invalid("files", f"No such file of yours: {', '.join(map(str, missing))}.")
    return [found[i] for i in file_ids]


def _message_in_my_room(
    user_id: int, message_id: uuid.UUID, room_id: uuid.UUID | None = None
) -> tuple[Message, RoomMember]:
    """The message and the caller's membership of its room; 404 for anyone else,
    and for a message outside `room_id` when the caller acts within one room."""
    stmt = (
        select(Message, RoomMember)
        .join(
            RoomMember,
            and_(RoomMember.room_id == Message.room_id, RoomMember.user_id == user_id),
        )
        .join(RoomMember.room)
        .where(Message.id == message_id)
    )
    if room_id is not None:
        stmt = stmt.where(Message.room_id == room_id)
    row = db.session.execute(
        stmt.options(
            contains_eager(RoomMember.room),
            selectinload(Message.sender),
            selectinload(Message.attachments),
        )
    ).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def edit_message(
    caller: User, message_id: uuid.UUID, text: str | None, *, room_id: uuid.UUID | None = None
) -> dict:
    """The sender changes the text of their message; returns it as history shows it."""
    message, member = _message_in_my_room(caller.id, message_id, room_id)
    if message.sender_id != caller.id:
        raise Forbidden("Only the sender edits a message.")
    _check_may_post(member)
    message.text = _check_text(text, has_files=bool(message.attachments))
    message.is_edited = True
    message.update_at = utcnow()
    db.session.flush()
    payload = message_payload(message)
    events.publish(
        message.room_id,
        {"type": "message_edited", "message": payload},
        member_ids(message.room_id),
    )
    db.session.commit()
    return payload


def delete_message(
    caller: User, message_id: uuid.UUID, *, room_id: uuid.UUID | None = None
) -> None:
    """The sender, or an owner or admin of the group, deletes a message for everyone."""
    message, member = _message_in_my_room(caller.id, message_id, room_id)
    if message.sender_id != caller.id and not (
        member.room.is_group and member.role in (OWNER, ADMIN)
    ):
        raise Forbidden("Only the sender or a group's owner or admin deletes a message.")
    room_id = message.room_id
    if db.session.execute(delete(Message).where(Message.id == message_id)).rowcount:
        _count_messages(room_id, -1)
        events.publish(
            room_id,
            {"type": "message_deleted", "room": str(room_id), "message_id": str(message_id)},
            member_ids(room_id),
        )
    db.session.commit()


def mark_read(caller: User, message_id: uuid.UUID, *, room_id: uuid.UUID | None = None) -> None:
    """Move the caller's read marker up to the message (never back)."""
    message, member = _message_in_my_room(caller.id, message_id, room_id)
    if message.created_at > member.last_read_at:
        member.last_read_at = message.created_at
        read_at = utcnow()
        events.publish(
            message.room_id,
            {
                "type": "message_read",
                "room": str(message.room_id),
                "message_id": str(message.id),
                "user": _user_brief.dump(caller),
                "read_at": UtcDateTime().serialize("read_at", {"read_at": read_at}),
            },
            member_ids(message.room_id),
        )
    db.session.commit()


def typing(caller: User, room_id: uuid.UUID, is_typing: bool) -> None:
    """Tell the room's other members that the caller is (not) typing.

    Clients repeat it on every keystroke: the same state for the same room goes
    out at most once per TYPING_REPEAT for each user (across processes, in the
    rate-limit storage); a change of state goes out at once.
    """
    # Typing reaches the other member like a message would: not across a block.
    _check_may_post(require_member(room_id, caller.id))
    recipients = member_ids(room_id)
    db.session.commit()
    if not _typing_is_news(caller.id, room_id, bool(is_typing)):
        return
    events.publish_now(
        room_id,
        {
            "type": "user_typing",
            "room": str(room_id),
            "user": _user_brief.dump(caller),
            "is_typing": bool(is_typing),
        },
        recipients,
        exclude_user_id=caller.id,
    )


def register_typing_throttle(app: Flask) -> None:
    """Its own counters (Redis when set, so all processes agree), not the request limiter's:
    this is a rule of the chat, not a rate limit that RATELIMIT_ENABLED switches off."""
    url = app.config.get("REDIS_URL")
    storage = (
        storage_from_string(url, socket_timeout=2, socket_connect_timeout=2)
        if url
        else storage_from_string("memory://")
    )
    app.extensions[TYPING_KEY] = FixedWindowRateLimiter(storage)


def _typing_is_news(user_id: int, room_id: uuid.UUID, is_typing: bool) -> bool:
    key = ("chat-typing", str(user_id), str(room_id))
    strategy = current_app.extensions[TYPING_KEY]
    try:
        if not strategy.hit(TYPING_REPEAT, *key, str(is_typing)):
            return False
        strategy.clear(TYPING_REPEAT, *key, str(not is_typing))
    except RedisError:
        log.warning("typing throttle unavailable; letting the signal through", exc_info=True)
    return True
