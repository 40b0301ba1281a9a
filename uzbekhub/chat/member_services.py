"""A group's members and roles (docs/rules.md): joining, leaving, adding, removing, admins,
ownership.

Admins add and remove plain members; only the owner changes roles and transfers ownership.
Each function commits its own change and announces it through `uzbekhub.chat.events`.
"""

import uuid
from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import User
from uzbekhub.accounts.schemas import UserBriefSchema
from uzbekhub.accounts.visibility import is_blocked, visible_user
from uzbekhub.chat import events
from uzbekhub.chat.lookups import (
    member_ids,
    membership,
    owner_id_of,
    require_group,
    require_member,
    require_role,
)
from uzbekhub.chat.models import ADMIN, MEMBER, OWNER, Room, RoomMember
from uzbekhub.chat.schemas import RoomMemberSchema
from uzbekhub.common.db import refuse_duplicate, utcnow
from uzbekhub.errors import NON_FIELD, Forbidden, invalid
from uzbekhub.extensions import db
from uzbekhub.notifications import hooks as notifications

_member_schema = RoomMemberSchema()
_user_brief = UserBriefSchema()


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


def publish_member_added(member: RoomMember, recipients: Iterable[int]) -> None:
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


def enrol(room: Room, user: User, role: str) -> RoomMember:
    now = utcnow()
    member = RoomMember(room=room, user=user, role=role, joined_at=now, last_read_at=now)
    db.session.add(member)
    return member


def join(caller: User, room_id: uuid.UUID) -> None:
    """Anyone the owner has not blocked (nor been blocked by) joins a group by its id."""
    room = db.get_or_404(Room, room_id)
    if membership(room_id, caller.id) is not None:
        raise invalid(NON_FIELD, "You are already a member of this room.")
    owner_id = owner_id_of(room_id)
    if not room.is_group or (owner_id is not None and is_blocked(owner_id, caller.id)):
        raise NotFound()
    with refuse_duplicate(NON_FIELD, "You are already a member of this room."):
        member = enrol(room, caller, MEMBER)
    publish_member_added(member, member_ids(room_id))
    db.session.commit()


def leave(caller: User, room_id: uuid.UUID) -> None:
    member = require_member(room_id, caller.id)
    require_group(member)
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
    require_group(member)
    require_role(member, OWNER)
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
    hand_over(current, target)
    notifications.role_given(caller, room_id, target.user_id)
    db.session.commit()


def hand_over(current: RoomMember, successor: RoomMember) -> None:
    current.role = ADMIN
    # One owner per room is a unique index: demote before promoting.
    db.session.flush()
    successor.role = OWNER
    db.session.flush()
    _publish_role_changed(current)
    _publish_role_changed(successor)


def add_member(caller: User, room_id: uuid.UUID, target_id: int) -> None:
    member = require_member(room_id, caller.id)
    require_group(member)
    require_role(member, OWNER, ADMIN)
    target = db.first_or_404(select(User).where(User.id == target_id, visible_user(caller.id)))
    owner_id = owner_id_of(room_id)
    if owner_id is not None and is_blocked(owner_id, target.id):
        raise Forbidden("This user cannot be added to the room.")
    if membership(room_id, target.id) is not None:
        raise invalid("user_id", "This user is already a member of the room.")
    with refuse_duplicate("user_id", "This user is already a member of the room."):
        added = enrol(member.room, target, MEMBER)
    publish_member_added(added, member_ids(room_id))
    notifications.added_to_group(caller, room_id, [target.id])
    db.session.commit()


def remove_member(caller: User, room_id: uuid.UUID, target_id: int) -> None:
    """The owner removes anyone else; an admin removes plain members only."""
    member = require_member(room_id, caller.id)
    require_group(member)
    require_role(member, OWNER, ADMIN)
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
