"""Every chat rule (docs/rules.md), in one place for HTTP and the real-time transports.

Who may see a room: its members (anyone else gets 404, as if it did not exist).
Roles: owner > admin > member. Admins add and remove plain members; only the
owner changes roles, transfers ownership, deletes the group and clears it.
Either member of a private room deletes or clears it. Each function commits
its own change and announces it through `uzbekhub.chat.events`.
"""

import hashlib
import logging
import uuid
from collections.abc import Iterable, Sequence

import filetype
from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import RedisError
from sqlalchemy import Select, and_, case, delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased, contains_eager, selectinload
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import User
from uzbekhub.accounts.schemas import UserBriefSchema
from uzbekhub.accounts.visibility import is_blocked, visible_user
from uzbekhub.chat import events
from uzbekhub.chat.models import (
    ADMIN,
    GROUP,
    MAX_TEXT,
    MEMBER,
    OWNER,
    PRIVATE,
    ChatFile,
    Message,
    Room,
    RoomMember,
    message_files,
)
from uzbekhub.chat.schemas import ChatMessageSchema, RoomMemberSchema
from uzbekhub.common.db import refuse_duplicate, unique_savepoint, utcnow
from uzbekhub.common.media import (
    delete_after_success,
    delete_now,
    read_upload,
    save_image,
    store,
)
from uzbekhub.common.quota import require_room
from uzbekhub.common.schemas import MediaUrl, UtcDateTime
from uzbekhub.errors import NON_FIELD, Forbidden, invalid
from uzbekhub.extensions import db
from uzbekhub.notifications import hooks as notifications

log = logging.getLogger(__name__)

ROOM_PICTURES = "room_pictures"
CHAT_FILES = "chat_files"
MAX_FILES_PER_MESSAGE = 10
TYPING_REPEAT = RateLimitItemPerSecond(1, 3)
TYPING_KEY = "chat_typing"

_message_schema = ChatMessageSchema()
_member_schema = RoomMemberSchema()
_user_brief = UserBriefSchema()


# --- lookups ------------------------------------------------------------------------------------


def membership(room_id: uuid.UUID, user_id: int) -> RoomMember | None:
    """The user's membership of the room, with the room loaded; None if either is missing."""
    return db.session.scalar(
        select(RoomMember)
        .join(RoomMember.room)
        .where(RoomMember.room_id == room_id, RoomMember.user_id == user_id)
        .options(contains_eager(RoomMember.room))
    )


def require_member(room_id: uuid.UUID, user_id: int) -> RoomMember:
    """The caller's membership; a room the caller is not in does not exist for them."""
    member = membership(room_id, user_id)
    if member is None:
        raise NotFound()
    return member


def room_exists(room_id: uuid.UUID) -> bool:
    return db.session.get(Room, room_id) is not None


def member_ids(room_id: uuid.UUID) -> list[int]:
    return list(db.session.scalars(select(RoomMember.user_id).where(RoomMember.room_id == room_id)))


def _require_group(member: RoomMember) -> None:
    if not member.room.is_group:
        raise Forbidden("Private rooms have no roles or membership changes.")


def _require_role(member: RoomMember, *roles: str) -> None:
    if member.role not in roles:
        raise Forbidden()


def _owner_id(room_id: uuid.UUID) -> int | None:
    return db.session.scalar(
        select(RoomMember.user_id).where(RoomMember.room_id == room_id, RoomMember.role == OWNER)
    )


# --- rooms: reading -----------------------------------------------------------------------------


def _last_activity():
    latest = (
        select(func.max(Message.created_at))
        .where(Message.room_id == Room.id)
        .correlate(Room)
        .scalar_subquery()
    )
    return func.coalesce(latest, Room.created_at)


def rooms_query(user_id: int) -> Select:
    """The user's rooms, the most recently active first."""
    return (
        select(Room)
        .join(RoomMember, and_(RoomMember.room_id == Room.id, RoomMember.user_id == user_id))
        .order_by(_last_activity().desc(), Room.id)
    )


def load_rooms(stmt: Select, user_id: int) -> list[Room]:
    """Rooms with their members, last message and the caller's unread count: 6 statements."""
    rooms = list(
        db.session.scalars(
            stmt.options(selectinload(Room.members).selectinload(RoomMember.user))
        ).all()
    )
    _annotate(rooms, user_id)
    return rooms


def room_detail(caller: User, room_id: uuid.UUID) -> Room:
    rooms = load_rooms(rooms_query(caller.id).where(Room.id == room_id), caller.id)
    if not rooms:
        raise NotFound()
    return rooms[0]


def _annotate(rooms: Sequence[Room], user_id: int) -> None:
    if not rooms:
        return
    ids = [room.id for room in rooms]
    newest = (
        select(Message.id)
        .where(Message.room_id == Room.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
        .correlate(Room)
        .scalar_subquery()
    )
    last = {
        message.room_id: message
        for message in load_messages(
            select(Message).where(Message.id.in_(select(newest).where(Room.id.in_(ids))))
        )
    }
    unread = dict(
        db.session.execute(
            select(Message.room_id, func.count())
            .join(
                RoomMember,
                and_(RoomMember.room_id == Message.room_id, RoomMember.user_id == user_id),
            )
            .where(
                Message.room_id.in_(ids),
                or_(Message.sender_id.is_(None), Message.sender_id != user_id),
                Message.created_at > RoomMember.last_read_at,
            )
            .group_by(Message.room_id)
        ).all()
    )
    for room in rooms:
        room.last_message = last.get(room.id)
        room.unread_count = unread.get(room.id, 0)


# --- rooms: changes -----------------------------------------------------------------------------


def create_room(caller: User, data: dict) -> tuple[uuid.UUID, bool]:
    """A new room (created=True), or the existing private room of the pair (False)."""
    if data["room_type"] == PRIVATE:
        return _create_private(caller, data["members"])
    return _create_group(caller, data), True


def _visible_users(caller_id: int, ids: Iterable[int]) -> list[User]:
    """The users among `ids` the caller may see; 400 on `members` naming any other."""
    ids = list(dict.fromkeys(ids))
    found = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_(ids), visible_user(caller_id)))
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise invalid("members", f"No such user: {', '.join(map(str, missing))}.")
    return [found[i] for i in ids]


def _private_room_id(low: int, high: int) -> uuid.UUID | None:
    return db.session.scalar(
        select(Room.id).where(Room.private_low_id == low, Room.private_high_id == high)
    )


def _create_private(caller: User, members: list[int]) -> tuple[uuid.UUID, bool]:
    if len(set(members)) != len(members):
        raise invalid("members", "List each member once.")
    others = [m for m in members if m != caller.id]
    if len(others) != 1 or len(members) > 2:
        raise invalid("members", "A private room has exactly two members: you and one other user.")
    (other,) = _visible_users(caller.id, others)
    low, high = sorted((caller.id, other.id))
    existing = _private_room_id(low, high)
    if existing is not None:
        return existing, False
    room = Room(room_type=PRIVATE, private_low_id=low, private_high_id=high)
    with unique_savepoint() as saved:
        db.session.add(room)
        db.session.flush()
        joined = [_add(room, caller, MEMBER), _add(room, other, MEMBER)]
    if saved.refused:
        # The other user (or a second tab) created it in the meantime.
        existing = _private_room_id(low, high)
        if existing is None:
            raise saved.error
        db.session.commit()
        return existing, False
    for member in joined:
        _publish_member_added(member, [caller.id, other.id])
    db.session.commit()
    return room.id, True


def _create_group(caller: User, data: dict) -> uuid.UUID:
    others = [u for u in _visible_users(caller.id, data["members"]) if u.id != caller.id]
    _check_room_username(data.get("username"))
    room = Room(
        room_type=GROUP,
        name=data["name"],
        username=data.get("username"),
        description=data.get("description"),
    )
    if data.get("profile_pic") is not None:
        room.profile_pic = save_image(data["profile_pic"], ROOM_PICTURES, "profile_pic")
    # Checked above; a race on the name is still a 400.
    with refuse_duplicate("username", ROOM_USERNAME_TAKEN):
        db.session.add(room)
    joined = [_add(room, caller, OWNER)] + [_add(room, other, MEMBER) for other in others]
    db.session.flush()
    recipients = [member.user_id for member in joined]
    for member in joined:
        _publish_member_added(member, recipients)
    notifications.added_to_group(caller, room.id, [other.id for other in others])
    db.session.commit()
    return room.id


def _add(room: Room, user: User, role: str) -> RoomMember:
    now = utcnow()
    member = RoomMember(room=room, user=user, role=role, joined_at=now, last_read_at=now)
    db.session.add(member)
    return member


ROOM_USERNAME_TAKEN = "A room with this username already exists."


def _check_room_username(username: str | None, except_room: uuid.UUID | None = None) -> None:
    if not username:
        return
    query = select(Room.id).where(func.lower(Room.username) == username.lower())
    if except_room is not None:
        query = query.where(Room.id != except_room)
    if db.session.scalar(query) is not None:
        raise invalid("username", ROOM_USERNAME_TAKEN)


def update_room(caller: User, room_id: uuid.UUID, changes: dict) -> None:
    """Group details, by the owner or an admin."""
    member = require_member(room_id, caller.id)
    _require_group(member)
    _require_role(member, OWNER, ADMIN)
    if not changes:
        return
    room = member.room
    if "username" in changes:
        _check_room_username(changes["username"], except_room=room.id)
    if "profile_pic" in changes:
        delete_after_success(room.profile_pic)
        upload = changes["profile_pic"]
        room.profile_pic = (
            None if upload is None else save_image(upload, ROOM_PICTURES, "profile_pic")
        )
    with refuse_duplicate("username", ROOM_USERNAME_TAKEN):
        for field in ("name", "username", "description"):
            if field in changes:
                setattr(room, field, changes[field])
    events.publish(
        room.id,
        {
            "type": "room_updated",
            "room": str(room.id),
            "changes": {
                "name": room.name,
                "username": room.username,
                "description": room.description,
                "profile_pic": MediaUrl().serialize("profile_pic", room),
            },
        },
        member_ids(room.id),
    )
    db.session.commit()


def delete_room(caller: User, room_id: uuid.UUID) -> None:
    """A group by its owner; a private room by either member."""
    member = require_member(room_id, caller.id)
    if member.room.is_group:
        _require_role(member, OWNER)
    remove_room(member.room)
    db.session.commit()


def remove_room(room: Room) -> None:
    """The room, its members and messages go (committed by the caller); members hear of it."""
    _lock_room(room.id)
    recipients = member_ids(room.id)
    notifications.room_deleted(room.id)
    delete_after_success(room.profile_pic)
    # ON DELETE CASCADE takes its members, messages and their attachments.
    db.session.execute(delete(Room).where(Room.id == room.id))
    events.publish(room.id, {"type": "room_deleted", "room": str(room.id)}, recipients)


def clear_messages(caller: User, room_id: uuid.UUID) -> None:
    """Every message of the room, for everyone: the group's owner, or either private member."""
    member = require_member(room_id, caller.id)
    if member.room.is_group:
        _require_role(member, OWNER)
    _lock_room(room_id)
    db.session.execute(delete(Message).where(Message.room_id == room_id))
    db.session.execute(
        update(Room)
        .where(Room.id == room_id)
        .values(message_count=0)
        .execution_options(synchronize_session=False)
    )
    events.publish(room_id, {"type": "room_cleared", "room": str(room_id)}, member_ids(room_id))
    db.session.commit()


# --- members ------------------------------------------------------------------------------------


def members_query(caller: User, room_id: uuid.UUID) -> Select:
    require_member(room_id, caller.id)
    return (
        select(RoomMember)
        .where(RoomMember.room_id == room_id)
        .order_by(RoomMember.joined_at, RoomMember.id)
    )


def load_members(stmt: Select) -> list[RoomMember]:
    return list(db.session.scalars(stmt.options(selectinload(RoomMember.user))).all())


def _member_event(kind: str, member: RoomMember) -> dict:
    return {"type": kind, "room": str(member.room_id), "member": _member_schema.dump(member)}


def _publish_member_added(member: RoomMember, recipients: Iterable[int]) -> None:
    events.publish(
        member.room_id,
        _member_event("member_added", member),
        recipients,
    )


def _publish_member_removed(member: RoomMember, user: User, recipients: Iterable[int]) -> None:
    events.publish(
        member.room_id,
        {"type": "member_removed", "room": str(member.room_id), "user": _user_brief.dump(user)},
        [*recipients, user.id],
    )


def _publish_role_changed(member: RoomMember) -> None:
    events.publish(
        member.room_id,
        _member_event("role_changed", member),
        member_ids(member.room_id),
    )


def join(caller: User, room_id: uuid.UUID) -> None:
    """Anyone the owner has not blocked (nor been blocked by) joins a group by its id."""
    room = db.get_or_404(Room, room_id)
    if membership(room_id, caller.id) is not None:
        raise invalid(NON_FIELD, "You are already a member of this room.")
    owner_id = _owner_id(room_id)
    if not room.is_group or (owner_id is not None and is_blocked(owner_id, caller.id)):
        raise NotFound()
    with refuse_duplicate(NON_FIELD, "You are already a member of this room."):
        member = _add(room, caller, MEMBER)
    _publish_member_added(member, member_ids(room_id))
    db.session.commit()


def leave(caller: User, room_id: uuid.UUID) -> None:
    member = require_member(room_id, caller.id)
    _require_group(member)
    if member.role == OWNER:
        raise Forbidden("Transfer ownership before leaving the room.")
    db.session.delete(member)
    db.session.flush()
    notifications.left_group(room_id, caller.id)
    _publish_member_removed(member, caller, member_ids(room_id))
    db.session.commit()


def _target(room_id: uuid.UUID, user_id: int) -> RoomMember:
    """The member an action is about; 404 for an unknown user or one not in the room."""
    target = db.first_or_404(
        select(RoomMember)
        .where(RoomMember.room_id == room_id, RoomMember.user_id == user_id)
        .options(selectinload(RoomMember.user))
    )
    return target


def _owner_acting_on(
    caller: User, room_id: uuid.UUID, target_id: int
) -> tuple[RoomMember, RoomMember]:
    """The owner's membership and the target's, for the owner-only role changes."""
    member = require_member(room_id, caller.id)
    _require_group(member)
    _require_role(member, OWNER)
    target = _target(room_id, target_id)
    if target.user_id == caller.id:
        raise invalid("user_id", "You cannot change your own role.")
    return member, target


def set_admin(caller: User, room_id: uuid.UUID, target_id: int) -> None:
    _, target = _owner_acting_on(caller, room_id, target_id)
    if target.role == ADMIN:
        return
    target.role = ADMIN
    notifications.role_given(caller, room_id, target.user_id)
    _publish_role_changed(target)
    db.session.commit()


def remove_admin(caller: User, room_id: uuid.UUID, target_id: int) -> None:
    _, target = _owner_acting_on(caller, room_id, target_id)
    if target.role == MEMBER:
        return
    target.role = MEMBER
    notifications.role_taken_back(caller.id, room_id, target.user_id)
    _publish_role_changed(target)
    db.session.commit()


def transfer_owner(caller: User, room_id: uuid.UUID, target_id: int) -> None:
    """The target becomes the owner; the previous owner stays on as an admin."""
    current, target = _owner_acting_on(caller, room_id, target_id)
    _hand_over(current, target)
    notifications.role_given(caller, room_id, target.user_id)
    db.session.commit()


def _hand_over(current: RoomMember, successor: RoomMember) -> None:
    current.role = ADMIN
    # One owner per room is a unique index: demote before promoting.
    db.session.flush()
    successor.role = OWNER
    db.session.flush()
    _publish_role_changed(current)
    _publish_role_changed(successor)


def leave_rooms_of_deleted_user(user_id: int) -> None:
    """Account deletion: groups the user owns pass to their first admin, else their
    longest-standing member; a group with nobody else in it goes."""
    owned = db.session.scalars(
        select(RoomMember)
        .join(RoomMember.room)
        .where(RoomMember.user_id == user_id, RoomMember.role == OWNER, Room.room_type == GROUP)
        .options(contains_eager(RoomMember.room), selectinload(RoomMember.user))
    ).all()
    for ownership in owned:
        successor = db.session.scalar(
            select(RoomMember)
            .where(RoomMember.room_id == ownership.room_id, RoomMember.user_id != user_id)
            .order_by(case((RoomMember.role == ADMIN, 0), else_=1), RoomMember.joined_at)
            .limit(1)
            .options(selectinload(RoomMember.user))
        )
        if successor is None:
            remove_room(ownership.room)
        else:
            _hand_over(ownership, successor)


def remove_files_of_user(user_id: int) -> None:
    """Account deletion: bytes that only the user's records refer to go after the commit."""
    others = aliased(ChatFile)
    paths = db.session.scalars(
        select(ChatFile.file).where(
            ChatFile.uploader_id == user_id,
            ~exists().where(others.unique_id == ChatFile.unique_id, others.uploader_id != user_id),
        )
    )
    for path in set(paths):
        delete_after_success(path)


def add_member(caller: User, room_id: uuid.UUID, target_id: int) -> None:
    member = require_member(room_id, caller.id)
    _require_group(member)
    _require_role(member, OWNER, ADMIN)
    target = db.first_or_404(select(User).where(User.id == target_id, visible_user(caller.id)))
    owner_id = _owner_id(room_id)
    if owner_id is not None and is_blocked(owner_id, target.id):
        raise Forbidden("This user cannot be added to the room.")
    if membership(room_id, target.id) is not None:
        raise invalid("user_id", "This user is already a member of the room.")
    with refuse_duplicate("user_id", "This user is already a member of the room."):
        added = _add(member.room, target, MEMBER)
    _publish_member_added(added, member_ids(room_id))
    notifications.added_to_group(caller, room_id, [target.id])
    db.session.commit()


def remove_member(caller: User, room_id: uuid.UUID, target_id: int) -> None:
    """The owner removes anyone else; an admin removes plain members only."""
    member = require_member(room_id, caller.id)
    _require_group(member)
    _require_role(member, OWNER, ADMIN)
    target = _target(room_id, target_id)
    if target.user_id == caller.id:
        raise invalid("user_id", "Use leave to leave the room.")
    if member.role == ADMIN and target.role != MEMBER:
        raise Forbidden("Admins cannot remove the owner or other admins.")
    removed_user = target.user
    db.session.delete(target)
    db.session.flush()
    notifications.left_group(room_id, removed_user.id)
    _publish_member_removed(target, removed_user, member_ids(room_id))
    db.session.commit()


# --- messages -----------------------------------------------------------------------------------


def _count_messages(room_id: uuid.UUID, change: int) -> None:
    db.session.execute(
        update(Room)
        .where(Room.id == room_id)
        .values(message_count=Room.message_count + change)
        .execution_options(synchronize_session=False)
    )


def _lock_room(room_id: uuid.UUID) -> None:
    """Wait for messages being sent to the room to commit (PostgreSQL; SQLite serialises)."""
    db.session.execute(select(Room.id).where(Room.id == room_id).with_for_update())


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


def send_message(
    caller: User,
    room_id: uuid.UUID,
    text: str | None,
    reply_to: uuid.UUID | None = None,
    files: Sequence[int] = (),
) -> dict:
    """A member's new message: text up to 4,000 characters, or files, or both.

    Returns the message as history shows it (the `chat_message` frame's `message`).
    """
    member = require_member(room_id, caller.id)
    _check_may_post(member)
    file_ids = list(dict.fromkeys(files or ()))
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in file_ids):
        raise invalid("files", "List file ids.")
    text = _check_text(text, has_files=bool(file_ids))
    if len(file_ids) > MAX_FILES_PER_MESSAGE:
        raise invalid("files", f"A message may carry at most {MAX_FILES_PER_MESSAGE} files.")
    attachments = _own_files(caller.id, file_ids)
    if reply_to is not None:
        in_room = db.session.scalar(
            select(Message.id).where(Message.id == reply_to, Message.room_id == room_id)
        )
        if in_room is None:
            raise invalid("reply_to", "The replied message is not in this room.")
    now = utcnow()
    message = Message(
        room_id=room_id,
        sender=caller,
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
    member.last_read_at = now
    db.session.flush()
    _count_messages(room_id, +1)
    payload = message_payload(message)
    events.publish(room_id, {"type": "chat_message", "message": payload}, member_ids(room_id))
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


# --- files --------------------------------------------------------------------------------------


def files_query(caller: User) -> Select:
    return (
        select(ChatFile)
        .where(ChatFile.uploader_id == caller.id)
        .order_by(ChatFile.uploaded_at.desc(), ChatFile.id.desc())
    )


def _file_extension(data: bytes) -> str:
    kind = filetype.guess(data[:8192])
    return kind.extension if kind is not None else "bin"


def _own_record(user_id: int, digest: str) -> ChatFile | None:
    return db.session.scalar(
        select(ChatFile).where(ChatFile.uploader_id == user_id, ChatFile.unique_id == digest)
    )


def media_bytes(user_id: int) -> Select:
    """The bytes of the user's chat files (for the media quota)."""
    return select(func.coalesce(func.sum(ChatFile.file_size), 0)).where(
        ChatFile.uploader_id == user_id
    )


def upload_file(caller: User, upload: FileStorage, file_type: str) -> tuple[ChatFile, bool]:
    """The caller's record of the bytes: new (True), or the one they already have (False)."""
    data = read_upload(upload, "file")
    digest = hashlib.sha256(data).hexdigest()
    existing = _own_record(caller.id, digest)
    if existing is None:
        require_room(caller.id, len(data))
    # Content-addressed: identical bytes share one file (rewritten only if it went missing).
    path = store(data, CHAT_FILES, _file_extension(data), name=digest)
    if existing is not None:
        db.session.commit()
        return existing, False
    record = ChatFile(
        uploader_id=caller.id,
        unique_id=digest,
        file=path,
        file_type=file_type,
        file_size=len(data),
        is_temporary=True,
        uploaded_at=utcnow(),
    )
    with unique_savepoint() as saved:
        db.session.add(record)
    if saved.refused:
        existing = _own_record(caller.id, digest)
        if existing is None:
            raise saved.error
        db.session.commit()
        return existing, False
    db.session.commit()
    return record, True


def delete_file(caller: User, file_id: int) -> None:
    """The uploader's record goes; the bytes go with the last record that refers to them."""
    record = db.first_or_404(
        select(ChatFile).where(ChatFile.id == file_id, ChatFile.uploader_id == caller.id)
    )
    digest, path = record.unique_id, record.file
    db.session.delete(record)
    db.session.commit()
    if not db.session.scalar(select(exists().where(ChatFile.unique_id == digest))):
        delete_now(path)
    db.session.commit()


def may_fetch_file(caller: User, path: str) -> bool:
    """The uploader of the bytes at `path`, or a member of a room where they were sent."""
    digest = path.rsplit("/", 1)[-1].split(".", 1)[0]
    same_bytes = and_(ChatFile.unique_id == digest, ChatFile.file == path)
    records = select(ChatFile.id).where(same_bytes)
    uploaded = exists().where(same_bytes, ChatFile.uploader_id == caller.id)
    sent_to_me = exists().where(
        message_files.c.file_id.in_(records),
        Message.id == message_files.c.message_id,
        RoomMember.room_id == Message.room_id,
        RoomMember.user_id == caller.id,
    )
    return bool(db.session.scalar(select(or_(uploaded, sent_to_me))))
