"""Users: lookup, creation, the usernames they start with, and deletion."""

import re
import secrets
from collections.abc import Callable

import marshmallow as ma
from sqlalchemy import delete, func, select, true, update

from uzbekhub.accounts.fields import PASSWORD_LENGTH, USERNAME_RE, normalise_email
from uzbekhub.accounts.models import User
from uzbekhub.accounts.tokens import revoke_all
from uzbekhub.common.db import utcnow
from uzbekhub.common.media import delete_after_success
from uzbekhub.common.security import hash_password
from uzbekhub.extensions import db

# Called with a user's id just before the user is deleted, in the same transaction:
# other domains register here to schedule their files for removal.
_deletion_hooks: list[Callable[[int], None]] = []


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def active_user_or_none(user_id: int) -> User | None:
    return db.session.scalar(select(User).where(User.id == user_id, User.is_active == true()))


def user_or_404(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    return user


def username_taken(username: str, except_user_id: int | None = None) -> bool:
    query = select(User.id).where(func.lower(User.username) == username.lower())
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return db.session.scalar(query) is not None


def generate_username(email: str) -> str:
    """A free, valid username derived from the email's local part."""
    base = re.sub(r"[^A-Za-z0-9._]", "", email.split("@", 1)[0])
    base = re.sub(r"[._]{2,}", "_", base).strip("._")[:16] or "user"
    while True:
        candidate = f"{base}_{secrets.randbelow(10**6):06d}"
        if USERNAME_RE.match(candidate) and not username_taken(candidate):
            return candidate


def new_user(email: str, password: str | None, **fields) -> User:
    """An unsaved user with a generated username; `password=None` makes it unusable."""
    email = normalise_email(email)
    defaults = {
        "first_name": "",
        "last_name": "",
        "bio": "",
        "is_private": False,
        "is_staff": False,
        "token_version": 0,
    }
    return User(
        email=email,
        username=generate_username(email),
        password_hash=hash_password(password) if password is not None else None,
        **{**defaults, **fields},
    )


def create_staff_user(email: str, password: str) -> User:
    """For `flask create-admin`: an active staff user (an existing one is promoted)."""
    try:
        ma.validate.Email()(normalise_email(email))
        PASSWORD_LENGTH(password)
    except ma.ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None
    user = user_by_email(email)
    if user is None:
        user = new_user(email, password, is_active=True)
        db.session.add(user)
    else:
        user.password_hash = hash_password(password)
        revoke_all(user)
    user.is_active = True
    user.is_staff = True
    db.session.commit()
    return user


def on_user_deleted(hook: Callable[[int], None]) -> None:
    """Register `hook(user_id)`, run before a user is deleted (e.g. to schedule file removal)."""
    if hook not in _deletion_hooks:
        _deletion_hooks.append(hook)


def delete_user(user: User) -> None:
    """Hard delete (committed by the caller): the database cascades every row that
    refers to the user, and the user's files go once the request has succeeded."""
    for hook in _deletion_hooks:
        hook(user.id)
    revoke_all(user)
    delete_after_success(user.profile_picture)
    db.session.execute(delete(User).where(User.id == user.id))


def record_last_online(user_id: int) -> None:
    """The user was last seen now (a real-time connection of theirs closed)."""
    db.session.execute(update(User).where(User.id == user_id).values(last_online=utcnow()))
    db.session.commit()
