"""The caller's own account: profile edits, username check, email change, deletion."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from uzbekhub.accounts import codes
from uzbekhub.accounts.auth_services import mail_code
from uzbekhub.accounts.fields import USERNAME_TAKEN
from uzbekhub.accounts.models import User
from uzbekhub.accounts.services import delete_user, user_by_email, username_taken
from uzbekhub.accounts.tokens import revoke_all
from uzbekhub.common.db import flush_or_refuse
from uzbekhub.common.media import delete_after_success, save_image
from uzbekhub.common.security import hash_password, verify_password
from uzbekhub.errors import invalid
from uzbekhub.extensions import db

PROFILE_PICTURES = "profile_pictures"
WRONG_PASSWORD = "The password is incorrect."
EMAIL_TAKEN = "A user with this email already exists."


def load_profile(user_id: int) -> User:
    return db.session.scalar(
        select(User)
        .where(User.id == user_id)
        .options(selectinload(User.location), selectinload(User.status))
    )


def update_profile(user: User, changes: dict) -> None:
    """Apply a PATCH. A new password revokes every token of the user, the caller's too."""
    username = changes.get("username")
    if username is not None and username_taken(username, except_user_id=user.id):
        raise invalid("username", USERNAME_TAKEN)
    if "profile_picture" in changes:
        _replace_picture(user, changes.pop("profile_picture"))
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"))
        revoke_all(user)
    for field, value in changes.items():
        setattr(user, field, value)
    flush_or_refuse("username", USERNAME_TAKEN)
    db.session.commit()


def _replace_picture(user: User, upload) -> None:
    old = user.profile_picture
    user.profile_picture = (
        save_image(upload, PROFILE_PICTURES, "profile_picture") if upload is not None else None
    )
    delete_after_success(old)


def username_available(username: str, caller: User) -> bool:
    """Free, or already the caller's own (so a PATCH with it would succeed)."""
    return not username_taken(username, except_user_id=caller.id)


def _check_password(user: User, password: str) -> None:
    if not verify_password(user.password_hash, password):
        raise invalid("password", WRONG_PASSWORD)


def request_email_change(user: User, new_email: str, password: str) -> None:
    _check_password(user, password)
    if new_email == user.email:
        raise invalid("new_email", "This is already your email.")
    if user_by_email(new_email) is not None:
        raise invalid("new_email", EMAIL_TAKEN)
    codes.refuse_early_resend(user, codes.CHANGE_EMAIL)
    code = codes.issue(user, codes.CHANGE_EMAIL, new_email=new_email)
    mail_code(new_email, code, "Enter this code to confirm your new UzbekHub email address:")
    db.session.commit()


def confirm_email_change(user: User, code: str) -> None:
    """Only the caller's own pending request can be confirmed (codes are bound to the user)."""
    pending = codes.consume(codes.CHANGE_EMAIL, code, user)
    if user_by_email(pending.new_email) is not None:
        raise invalid("code", EMAIL_TAKEN)
    user.email = pending.new_email
    flush_or_refuse("code", EMAIL_TAKEN)
    db.session.commit()


def request_account_deletion(user: User, password: str) -> None:
    _check_password(user, password)
    codes.refuse_early_resend(user, codes.DELETE_ACCOUNT)
    code = codes.issue(user, codes.DELETE_ACCOUNT)
    mail_code(user.email, code, "Enter this code to delete your UzbekHub account for good:")
    db.session.commit()


def confirm_account_deletion(user: User, code: str) -> None:
    codes.consume(codes.DELETE_ACCOUNT, code, user)
    delete_user(user)
    db.session.commit()
