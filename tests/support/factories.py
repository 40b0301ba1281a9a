"""Test data made straight in the database, with tokens for the API."""

import itertools
from dataclasses import dataclass, field

from uzbekhub.accounts.models import Block, Contact
from uzbekhub.accounts.tokens import issue_tokens
from uzbekhub.accounts.users import new_user
from uzbekhub.extensions import db

PASSWORD = "correct-horse-42"
_serial = itertools.count(1)


@dataclass
class Account:
    id: int
    email: str
    username: str
    password: str
    access: str
    refresh: str
    headers: dict = field(default_factory=dict)


def make_account(app, email: str | None = None, *, password: str = PASSWORD, **fields) -> Account:
    """An active user (override with is_active=False) and a token pair for it."""
    n = next(_serial)
    email = email or f"user{n}@example.com"
    fields.setdefault("is_active", True)
    with app.app_context():
        user = new_user(email, password, **fields)
        db.session.add(user)
        db.session.commit()
        pair = issue_tokens(user)
        return Account(
            id=user.id,
            email=user.email,
            username=user.username,
            password=password,
            access=pair["access"],
            refresh=pair["refresh"],
            headers={"Authorization": f"Bearer {pair['access']}"},
        )


def block(app, blocker: Account, blocked: Account) -> None:
    with app.app_context():
        db.session.add(Block(user_id=blocker.id, blocked_user_id=blocked.id))
        db.session.commit()


def add_contact(app, owner: Account, contact: Account, nikname: str = "") -> None:
    with app.app_context():
        db.session.add(Contact(owner_id=owner.id, contact_id=contact.id, nikname=nikname))
        db.session.commit()
