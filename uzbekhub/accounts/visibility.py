"""Who may see whom (docs/rules.md): blocks both ways, private accounts, contacts.

Every domain asks these questions through the functions here, as SQL
expressions for lists and as booleans for single objects, so the rule exists once.
"""

from typing import Protocol

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    and_,
    false,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)

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


def public_user(user=User) -> ColumnElement[bool]:
    """Users anyone may see, anonymous callers included: active and not private.

    The triggers that keep `public_post_totals` (uzbekhub/posts/models.py) say it in SQL.
    """
    return and_(user.is_active == true(), user.is_private == false())


def visible_user(caller_id: int | None, user=User) -> ColumnElement[bool]:
    """Users whose profile and content the caller may see.

    Active, not blocked either way, and public or having added the caller as a
    contact. The caller always sees themself. Anonymous callers see public users.
    Whoever this admits or refuses unlike `public_user` must be among
    `seen_unlike_the_public` (the feed's count relies on it).
    """
    if caller_id is None:
        return public_user(user)
    return or_(
        user.id == caller_id,
        and_(
            user.is_active == true(),
            not_(blocked_between(user.id, caller_id)),
            or_(user.is_private == false(), has_added_contact(user.id, caller_id)),
        ),
    )


def seen_unlike_the_public(caller_id) -> CompoundSelect:
    """The ids of the only users the caller may see though not public, or not see though
    public (for everyone else `visible_user` is `public_user`): the caller, the users who
    added the caller as a contact, and the users in a block with the caller either way.
    Indexed lookups of the caller's few rows; an id may come more than once."""
    return union_all(
        select(_as_sql(caller_id)),
        select(Contact.owner_id).where(Contact.contact_id == caller_id),
        select(Block.blocked_user_id).where(Block.user_id == caller_id),
        select(Block.user_id).where(Block.blocked_user_id == caller_id),
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
    clause = public_user(user)
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
