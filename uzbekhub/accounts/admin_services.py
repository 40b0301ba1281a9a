"""Staff tools (Accounts 35-37): list, view and delete non-staff users."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import User
from uzbekhub.accounts.users import delete_user, user_or_404
from uzbekhub.common.pagination import array_page
from uzbekhub.errors import Forbidden
from uzbekhub.extensions import db

STAFF_UNDELETABLE = "Staff users cannot be deleted through the API."


def _with_location(stmt):
    return db.session.scalars(stmt.options(selectinload(User.location))).all()


def users(args: dict):
    return array_page(select(User).order_by(User.id), args, fetch=_with_location)


def user(user_id: int) -> User:
    found = _with_location(select(User).where(User.id == user_id))
    if not found:
        raise NotFound()
    return found[0]


def delete(user_id: int) -> None:
    target = user_or_404(user_id)
    if target.is_staff:
        raise Forbidden(STAFF_UNDELETABLE)
    delete_user(target)
    db.session.commit()
