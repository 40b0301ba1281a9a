"""Sign-up, verification, sign-in (password and Google) and password reset."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from uzbekhub.accounts import codes
from uzbekhub.accounts.google import verify_id_token
from uzbekhub.accounts.models import PasswordResetToken, User
from uzbekhub.accounts.services import new_user, user_by_email
from uzbekhub.accounts.tokens import issue_tokens, revoke_all
from uzbekhub.common.db import flush_or_refuse, utcnow
from uzbekhub.common.mail import send_mail
from uzbekhub.common.security import (
    burn_password_check,
    hash_password,
    keyed_hash,
    new_url_token,
    verify_password,
)
from uzbekhub.errors import Forbidden, ValidationFailed, invalid
from uzbekhub.extensions import db

RESET_TTL = timedelta(minutes=30)
WRONG_CREDENTIALS = "Incorrect email or password; you were not signed in."
NOT_VERIFIED = "This account's email is not verified yet. Enter the code we sent to it."
INVALID_RESET = "The reset link is invalid or has expired."


def mail_code(email: str, code: str, purpose_sentence: str) -> None:
    send_mail(
        email,
        "Your UzbekHub code",
        f"{purpose_sentence}\n\n{code}\n\nThe code is valid for 5 minutes. "
        "If you did not ask for it, ignore this mail.",
    )


def signup(email: str, password: str) -> User:
    """Create an inactive user (or refresh an unverified one) and mail a code."""
    user = user_by_email(email)
    if user is not None and user.is_active:
        raise invalid("email", "A user with this email already exists.")
    if user is None:
        user = new_user(email, password, is_active=False)
        db.session.add(user)
        flush_or_refuse("email", "A sign-up for this email is already in progress.")
    else:
        codes.refuse_early_resend(user, codes.SIGNUP)
        user.password_hash = hash_password(password)
    code = codes.issue(user, codes.SIGNUP)
    mail_code(user.email, code, "Welcome to UzbekHub! Your verification code is:")
    db.session.commit()
    return user


def verify_email(code: str, email: str | None) -> None:
    owner = None
    if email is not None:
        owner = user_by_email(email)
        if owner is None or owner.is_active:
            raise invalid("code", codes.INVALID_CODE)
    used = codes.consume(codes.SIGNUP, code, owner)
    user = db.session.get(User, used.user_id)
    user.is_active = True
    db.session.commit()


def signin(email: str, password: str) -> tuple[User, dict]:
    user = user_by_email(email)
    if user is None:
        burn_password_check()
        raise invalid("non_field_errors", WRONG_CREDENTIALS)
    if not verify_password(user.password_hash, password):
        raise invalid("non_field_errors", WRONG_CREDENTIALS)
    if not user.is_active:
        raise Forbidden(NOT_VERIFIED)
    user.last_login = utcnow()
    tokens = issue_tokens(user)
    db.session.commit()
    return user, tokens


def google_signin(id_token: str) -> dict:
    """Sign in with a Google ID token: link to the account with that email or create one."""
    claims = verify_id_token(id_token)
    user = user_by_email(claims["email"])
    if user is None:
        user = new_user(
            claims["email"],
            None,
            is_active=True,
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("family_name") or "")[:150],
        )
        db.session.add(user)
    else:
        # Google has verified the address, so an unverified sign-up is verified now.
        user.is_active = True
    user.last_login = utcnow()
    flush_or_refuse("token", "This account is being created; try again.")
    tokens = issue_tokens(user)
    db.session.commit()
    return tokens


def forgot_password(email: str) -> None:
    """Mail a reset link to an active account; say nothing about whether it exists."""
    user = user_by_email(email)
    if user is None or not user.is_active:
        return
    db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    token = new_url_token()
    db.session.add(
        PasswordResetToken(
            user_id=user.id, token_hash=keyed_hash(token), expires_at=utcnow() + RESET_TTL
        )
    )
    link = f"{current_app.config['FRONTEND_URL']}/reset-password/{token}/"
    send_mail(
        user.email,
        "Reset your UzbekHub password",
        f"Open this link to choose a new password:\n\n{link}\n\n"
        "The link is valid for 30 minutes. If you did not ask for it, ignore this mail.",
    )
    db.session.commit()


def reset_password(token: str, new_password: str) -> None:
    live = (
        PasswordResetToken.token_hash == keyed_hash(token),
        PasswordResetToken.expires_at > utcnow(),
    )
    user_id = db.session.scalar(select(PasswordResetToken.user_id).where(*live))
    # Deleting by the same condition makes concurrent uses of one token succeed once.
    if user_id is None or db.session.execute(delete(PasswordResetToken).where(*live)).rowcount != 1:
        raise ValidationFailed({"token": [INVALID_RESET]})
    user = db.session.get(User, user_id)
    user.password_hash = hash_password(new_password)
    revoke_all(user)
    db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    db.session.commit()
