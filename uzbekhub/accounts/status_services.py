"""The caller's status line (Accounts 25-28): at most one, up to 55 characters."""

from sqlalchemy import select

from uzbekhub.accounts.models import Status, User
from uzbekhub.common.db import flush_or_refuse
from uzbekhub.extensions import db

ALREADY_SET = "You already have a status; update it with PUT."


def own_status(user: User) -> Status:
    status = db.first_or_404(select(Status).where(Status.user_id == user.id))
    return status


def create_status(user: User, content: str) -> Status:
    """The unique user_id column refuses a second status, concurrent requests included."""
    status = Status(user_id=user.id, content=content)
    db.session.add(status)
    flush_or_refuse("non_field_errors", ALREADY_SET)
    db.session.commit()
    return status


def update_status(user: User, content: str) -> Status:
    status = own_status(user)
    status.content = content
    db.session.commit()
    return status


def delete_status(user: User) -> None:
    db.session.delete(own_status(user))
    db.session.commit()
