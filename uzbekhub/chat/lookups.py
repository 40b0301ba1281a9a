"""Who is in which room, and as what: the lookups every chat service starts from.

Who may see a room: its members (anyone else gets 404, as if it did not exist).
Roles: owner > admin > member.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from werkzeug.exceptions import NotFound

from uzbekhub.chat.models import OWNER, Room, RoomMember
from uzbekhub.errors import Forbidden
from uzbekhub.extensions import db


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


def require_group(member: RoomMember) -> None:
    if not member.room.is_group:
        raise Forbidden("Private rooms have no roles or membership changes.")


def require_role(member: RoomMember, *roles: str) -> None:
    if member.role not in roles:
        raise Forbidden()


def owner_id_of(room_id: uuid.UUID) -> int | None:
    return db.session.scalar(
        select(RoomMember.user_id).where(RoomMember.room_id == room_id, RoomMember.role == OWNER)
    )
