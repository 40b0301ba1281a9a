"""Who may see whom (docs/rules.md): blocks both ways, private accounts, contacts.

Every domain asks these questions through the functions here, as SQL
expressions for lists and as booleans for single objects, so the rule exists once.
"""

from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, literal, not_, or_, select, true

from uzbekhub.accounts.models import Block, Contact, User
from uzbekhub.extensions import db

# The subqueries below do not refer to the outer row: the database reads the few ids once
# per statement and probes them (a hashed subplan), instead of one lookup per row.


def blocked_between(user_col, other_id: int) -> ColumnElement[bool]:
    """True where `user_col` and `other_id` are blocked either way."""
    return _as_sql(user_col).in_(
        select(Block.blocked_user_id)
        .where(Block.user_id == other_id)
        .union_all(select(Block.user_id).where(Block.blocked_user_id == other_id))
    )


def has_added_contact(owner_col, contact_id: int) -> ColumnElement[bool]:
    """True where the user `owner_col` has added `contact_id` to their contacts."""
    return _as_sql(owner_col).in_(select(Contact.owner_id).where(Contact.contact_id == contact_id))


def has_blocked(blocker_col, blocked_id: int) -> ColumnElement[bool]:
    """True where the user `blocker_col` has blocked `blocked_id` (one way only)."""
    return _as_sql(blocker_col).in_(
        select(Block.user_id).where(Block.blocked_user_id == blocked_id)
    )


def _as_sql(value):
    """A column stays itself; a plain id (`is_blocked(a, b)`) becomes a bound literal."""
    return literal(value) if isinstance(value, int) else value


def visible_user(caller_id: int | None, user=User) -> ColumnElement[bool]:
    """Users whose profile and content the caller may see.

    Active, not blocked either way, and public or having added the caller as a
    contact. The caller always sees themself. Anonymous callers see public users.
    """
    if caller_id is None:
        return and_(user.is_active == true(), user.is_private == false())
    return or_(
        user.id == caller_id,
        and_(
            user.is_active == true(),
            not_(blocked_between(user.id, caller_id)),
            or_(user.is_private == false(), has_added_contact(user.id, caller_id)),
        ),
    )


def blockable_user(caller_id: int, user=User) -> ColumnElement[bool]:
    """Users the caller may block and find in their block list: those the caller would see
    but for the caller's own block of them. Anyone else is answered like an unknown user,
    so that a block reveals no more than the user's profile would."""
    return and_(
        user.is_active == true(),
        user.id != caller_id,
        not_(has_blocked(user.id, caller_id)),
        or_(user.is_private == false(), has_added_contact(user.id, caller_id)),
    )


def discoverable_user(caller_id: int | None, user=User) -> ColumnElement[bool]:
    """Users that may appear in search, nearby search and public profiles: never private ones."""
    clause = and_(user.is_active == true(), user.is_private == false())
    if caller_id is not None:
        clause = and_(clause, user.id != caller_id, not_(blocked_between(user.id, caller_id)))
    return clause


def is_blocked(a_id: int, b_id: int) -> bool:
    if a_id == b_id:
        return False
    return bool(db.session.scalar(select(blocked_between(a_id, b_id))))


class SeenUser(Protocol):
    """What `sees_user` reads of a user: a `User`, or a caller's cached `UserState`
    (so that an action needs no load of its caller to be seen by others)."""

    @property
    def id(self) -> int: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def is_private(self) -> bool: ...


def sees_user(viewer_col, user: SeenUser) -> ColumnElement[bool]:
    """The viewers (a column of user ids) who may see `user`: `visible_user` from the other
    side, for statements that pick many viewers at once (whom to notify)."""
    if not user.is_active:
        return false()
    public_or_contact = (
        true()
        if not user.is_private
        else viewer_col.in_(select(Contact.contact_id).where(Contact.owner_id == user.id))
    )
    return or_(
        viewer_col == user.id,
        and_(not_(blocked_between(viewer_col, user.id)), public_or_contact),
    )
