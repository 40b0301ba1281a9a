"""Shared helpers for the account tests: URLs, error details, data straight in the DB."""

import io

from sqlalchemy import select

from tests.support.media import stored_names
from uzbekhub.accounts.models import Location, Status, User
from uzbekhub.extensions import db

BASE = "/api/accounts/account"
PROFILE = f"{BASE}/profile/"
CHECK_USERNAME = f"{BASE}/check/username/"
CHANGE_EMAIL = f"{BASE}/change-email/"
CHANGE_EMAIL_CONFIRM = f"{BASE}/change-email/confirm/"
DELETE = f"{BASE}/delete/"
DELETE_CONFIRM = f"{BASE}/delete/confirm/"
LOCATION = f"{BASE}/location/"
STATUS = f"{BASE}/status/"
BLOCKS = f"{BASE}/block/"
CONTACTS = f"{BASE}/contact/"
ADMIN_USERS = "/api/accounts/admin/user/"
SIGNIN = "/api/accounts/auth/signin/"
SIGNUP = "/api/accounts/auth/signup/"
REFRESH = "/api/accounts/auth/token/refresh/"

# A user as the user endpoints show it, in order (the admin endpoints add `email`).
USER_KEYS = [
    "id",
    "first_name",
    "last_name",
    "username",
    "bio",
    "profile_picture",
    "phone",
    "is_private",
    "is_active",
    "is_staff",
    "date_joined",
    "last_login",
    "last_online",
    "location",
]


def search_url(key: str) -> str:
    return f"{BASE}/search/{key}/"


def user_url(pk) -> str:
    return f"{BASE}/user/{pk}/"


def public_url(username: str) -> str:
    return f"{BASE}/profile/{username}/"


def nearby_url(distance) -> str:
    return f"{BASE}/location/{distance}/"


def set_location(app, account, lat: float, long: float, **names) -> None:
    with app.app_context():
        db.session.add(Location(owner_id=account.id, lat=lat, long=long, **names))
        db.session.commit()


def set_status(app, account, content: str) -> None:
    with app.app_context():
        db.session.add(Status(user_id=account.id, content=content))
        db.session.commit()


def update_user(app, account, **fields) -> None:
    with app.app_context():
        user = db.session.get(User, account.id)
        for name, value in fields.items():
            setattr(user, name, value)
        db.session.commit()


def user_row(app, user_id: int) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.id == user_id))
        if user is not None:
            db.session.expunge(user)
        return user


def upload(data: bytes, name: str = "picture.png") -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def media_files(app, folder: str = "profile_pictures") -> set[str]:
    return stored_names(app, folder)
