"""The caller's own account: profile edits, username check, email change, deletion, and the
status line (Accounts 25-28: at most one, up to 55 characters)."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from uzbekhub.accounts import codes
from uzbekhub.accounts.auth_services import mail_code
from uzbekhub.accounts.fields import USERNAME_TAKEN
from uzbekhub.accounts.models import Status, User
from uzbekhub.accounts.tokens import revoke_all
from uzbekhub.accounts.users import delete_user, user_by_email, username_taken
from uzbekhub.common.db import refuse_duplicate
from uzbekhub.common.media import delete_after_success, save_image
from uzbekhub.common.security import hash_password, verify_password
from uzbekhub.errors import invalid
from uzbekhub.extensions import db
from uzbekhub.notifications import hooks as notifications

PROFILE_PICTURES = "profile_pictures"
WRONG_PASSWORD = "The password is incorrect."
EMAIL_TAKEN = "A user with this email already exists."


def load_profile(user_id: int) -> User:
    return db.session.scalar(
        select(User)
        .where(User.id == user_id)
        .options(selectinload(User.location), selectinload(User.status))
    )


def update_profile(caller: User, changes: dict) -> None:
    """Apply a PATCH. A new password revokes every token of the user, the caller's too."""
    username = changes.get("username")
    if username is not None and username_taken(username, except_user_id=caller.id):
        raise invalid("username", USERNAME_TAKEN)
    if "profile_picture" in changes:
        _replace_picture(caller, changes.pop("profile_picture"))
    if "password" in changes:
        caller.password_hash = hash_password(changes.pop("password"))
        revoke_all(caller)
    if changes.get("is_private", caller.is_private) != caller.is_private:
        caller.is_private = changes.pop("is_private")
        notifications.privacy_changed(caller)
    with refuse_duplicate("username", USERNAME_TAKEN):
        for field, value in changes.items():
            setattr(caller, field, value)
    db.session.commit()


def _replace_picture(caller: User, upload) -> None:
    old = caller.profile_picture
    caller.profile_picture = (
        save_image(upload, PROFILE_PICTURES, "profile_picture") if upload is not None else None
    )
    delete_after_success(old)


def username_available(username: str, caller: User) -> bool:
    """Free, or already the caller's own (so a PATCH with it would succeed)."""
    return not username_taken(username, except_user_id=caller.id)


def _check_password(caller: User, password: str) -> None:
    if not verify_password(caller.password_hash, password):
        raise invalid("password", WRONG_PASSWORD)


def request_email_change(caller: User, new_email: str, password: str) -> None:
    _check_password(caller, password)
    if new_email == caller.email:
        raise invalid("new_email", "This is already your email.")
    if user_by_email(new_email) is not None:
        raise invalid("new_email", EMAIL_TAKEN)
    codes.refuse_early_resend(caller, codes.CHANGE_EMAIL)
    code = codes.issue(caller, codes.CHANGE_EMAIL, new_email=new_email)
    mail_code(new_email, code, "Enter this code to confirm your new UzbekHub email address:")
    db.session.commit()


def confirm_email_change(caller: User, code: str) -> None:
    """Only the caller's own pending request can be confirmed (codes are bound to the user)."""
    pending = codes.consume(codes.CHANGE_EMAIL, code, caller)
    if user_by_email(pending.new_email) is not None:
        raise invalid("code", EMAIL_TAKEN)
    with refuse_duplicate("code", EMAIL_TAKEN):
        caller.email = pending.new_email
    db.session.commit()


def request_account_deletion(caller: User, password: str) -> None:
    _check_password(caller, password)
    codes.refuse_early_resend(caller, codes.DELETE_ACCOUNT)
    code = codes.issue(caller, codes.DELETE_ACCOUNT)
    mail_code(caller.email, code, "Enter this code to delete your UzbekHub account for good:")
    db.session.commit()


def confirm_account_deletion(caller: User, code: str) -> None:
    codes.consume(codes.DELETE_ACCOUNT, code, caller)
    delete_user(caller)
    db.session.commit()


# --- status ------------------------------------------------------------------------------------

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
