"""The caller's status line (Accounts 25-28): at most one, up to 55 characters."""

from sqlalchemy import select

from uzbekhub.accounts.models import Status, User
from uzbekhub.common.db import refuse_duplicate
from uzbekhub.extensions import db

ALREADY_SET = "You already have a status; update it with PUT."


def own_status(caller: User) -> Status:
    status = db.first_or_404(select(Status).where(Status.user_id == caller.id))
    return status


def create_status(caller: User, content: str) -> Status:
    """The unique user_id column refuses a second status, concurrent requests included."""
    status = Status(user_id=caller.id, content=content)
    with refuse_duplicate("non_field_errors", ALREADY_SET):
        db.session.add(status)
    db.session.commit()
    return status


def update_status(caller: User, content: str) -> Status:
    status = own_status(caller)
    status.content = content
    db.session.commit()
    return status


def delete_status(caller: User) -> None:
    db.session.delete(own_status(caller))
    db.session.commit()
