"""Blocks and contacts: one user's relations to another (docs/rules.md).

Both are the caller's own: other users' rows are 404. A contact between two
users blocked either way is hidden (404, left out of the list) until the block
is lifted, and no new one can be made.
"""

from sqlalchemy import delete, not_, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import Block, Contact, User
from uzbekhub.accounts.users import active_user_or_none
from uzbekhub.accounts.visibility import blockable_user, blocked_between, is_blocked
from uzbekhub.common.db import refuse_duplicate
from uzbekhub.common.pagination import array_page
from uzbekhub.errors import invalid
from uzbekhub.extensions import db
from uzbekhub.notifications import hooks as notifications

NO_SUCH_USER = "No such user."
ALREADY_BLOCKED = "You have already blocked this user."
ALREADY_CONTACT = "This user is already in your contacts."


# --- blocks -----------------------------------------------------------------------------------


def _blocks_with_users(stmt):
    return db.session.scalars(stmt.options(joinedload(Block.blocked_user))).all()


def _own_blocks(caller: User):
    """The caller's blocks of users they would see but for the block (a user who went
    private or blocked the caller back is left out, as a hidden contact is)."""
    return (
        select(Block)
        .join(User, User.id == Block.blocked_user_id)
        .where(Block.user_id == caller.id, blockable_user(caller.id))
    )


def blocks(caller: User, args: dict):
    stmt = _own_blocks(caller).order_by(Block.created_at.desc(), Block.id.desc())
    return array_page(stmt, args, fetch=_blocks_with_users)


def block_of(caller: User, blocked_user_id: int) -> Block:
    found = _blocks_with_users(_own_blocks(caller).where(Block.blocked_user_id == blocked_user_id))
    if not found:
        raise NotFound()
    return found[0]


def create_block(caller: User, blocked_user_id: int) -> Block:
    if blocked_user_id == caller.id:
        raise invalid("blocked_user", "You cannot block yourself.")
    if not db.session.scalar(
        select(User.id).where(User.id == blocked_user_id, blockable_user(caller.id))
    ):
        raise invalid("blocked_user", NO_SUCH_USER)
    with refuse_duplicate("blocked_user", ALREADY_BLOCKED):
        db.session.add(Block(user_id=caller.id, blocked_user_id=blocked_user_id))
    notifications.blocked(caller.id, blocked_user_id)
    db.session.commit()
    return block_of(caller, blocked_user_id)


def delete_block(caller: User, blocked_user_id: int) -> None:
    gone = db.session.execute(
        delete(Block).where(Block.user_id == caller.id, Block.blocked_user_id == blocked_user_id)
    )
    if gone.rowcount != 1:
        raise NotFound()
    db.session.commit()


# --- contacts ---------------------------------------------------------------------------------


def _own_contacts(caller: User):
    return select(Contact).where(
        Contact.owner_id == caller.id, not_(blocked_between(Contact.contact_id, caller.id))
    )


def contacts(caller: User, args: dict):
    stmt = _own_contacts(caller).order_by(Contact.created_at.desc(), Contact.id.desc())
    return array_page(stmt, args)


def contact_of(caller: User, contact_pk: int) -> Contact:
    contact = db.first_or_404(_own_contacts(caller).where(Contact.id == contact_pk))
    return contact


def _check_target(caller: User, contact_id: int) -> None:
    if contact_id == caller.id:
        raise invalid("contact", "You cannot add yourself as a contact.")
    # A blocked pair is answered like an unknown user: the block is not revealed.
    if active_user_or_none(contact_id) is None or is_blocked(caller.id, contact_id):
        raise invalid("contact", NO_SUCH_USER)


def add_contact(caller: User, data: dict) -> Contact:
    _check_target(caller, data["contact_id"])
    contact = Contact(owner_id=caller.id, contact_id=data["contact_id"])
    contact.nikname = data.get("nikname", "")
    with refuse_duplicate("contact", ALREADY_CONTACT):
        db.session.add(contact)
    notifications.contact_added(caller, contact.contact_id)
    db.session.commit()
    return contact


def update_contact(caller: User, contact_pk: int, changes: dict) -> Contact:
    contact = contact_of(caller, contact_pk)
    target = changes.get("contact_id", contact.contact_id)
    if target != contact.contact_id:
        _check_target(caller, target)
    previous = contact.contact_id
    with refuse_duplicate("contact", ALREADY_CONTACT):
        contact.contact_id = target
        if "nikname" in changes:
            contact.nikname = changes["nikname"]
    notifications.contact_changed(caller, previous, target)
    db.session.commit()
    return contact


def delete_contact(caller: User, contact_pk: int) -> None:
    contact = contact_of(caller, contact_pk)
    notifications.contact_removed(caller, contact.contact_id)
    db.session.delete(contact)
    db.session.commit()
