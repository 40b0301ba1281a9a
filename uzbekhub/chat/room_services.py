"""Chat rooms (docs/rules.md): listing, creating, changing, deleting and clearing them.

Either member of a private room deletes or clears it; a group's owner deletes and clears it,
its owner or an admin changes its details. Each function commits its own change and
announces it through `uzbekhub.chat.events`.
"""

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import Select, and_, case, delete, func, or_, select, update
from sqlalchemy.orm import contains_eager, selectinload
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import User
from uzbekhub.accounts.visibility import visible_user
from uzbekhub.chat import events
from uzbekhub.chat.lookups import member_ids, require_group, require_member, require_role
from uzbekhub.chat.member_services import enrol, hand_over, publish_member_added
from uzbekhub.chat.message_services import load_messages
from uzbekhub.chat.models import ADMIN, GROUP, MEMBER, OWNER, PRIVATE, Message, Room, RoomMember
from uzbekhub.common.db import refuse_duplicate, unique_savepoint
from uzbekhub.common.media import delete_after_success, save_image
from uzbekhub.common.schemas import MediaUrl
from uzbekhub.errors import invalid
from uzbekhub.extensions import db
from uzbekhub.notifications import hooks as notifications

ROOM_PICTURES = "room_pictures"
ROOM_USERNAME_TAKEN = "A room with this username already exists."


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
        joined = [enrol(room, caller, MEMBER), enrol(room, other, MEMBER)]
    if saved.refused:
        # The other user (or a second tab) created it in the meantime.
        existing = _private_room_id(low, high)
        if existing is None:
            raise saved.error
        db.session.commit()
        return existing, False
    for member in joined:
        publish_member_added(member, [caller.id, other.id])
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
    joined = [enrol(room, caller, OWNER)] + [enrol(room, other, MEMBER) for other in others]
    db.session.flush()
    recipients = [member.user_id for member in joined]
    for member in joined:
        publish_member_added(member, recipients)
    notifications.added_to_group(caller, room.id, [other.id for other in others])
    db.session.commit()
    return room.id


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
    require_group(member)
    require_role(member, OWNER, ADMIN)
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
        require_role(member, OWNER)
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
        require_role(member, OWNER)
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


def _lock_room(room_id: uuid.UUID) -> None:
    """Wait for messages being sent to the room to commit (PostgreSQL; SQLite serialises)."""
    db.session.execute(select(Room.id).where(Room.id == room_id).with_for_update())


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
            hand_over(ownership, successor)
