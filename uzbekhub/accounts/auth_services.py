"""Sign-up, verification, sign-in (password and Google) and password reset."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from uzbekhub.accounts import codes
from uzbekhub.accounts.fields import normalise_email
from uzbekhub.accounts.google import verify_id_token
from uzbekhub.accounts.models import PasswordResetToken, User
from uzbekhub.accounts.tokens import issue_tokens, revoke_all
from uzbekhub.accounts.users import new_user, user_by_email
from uzbekhub.common.db import refuse_duplicate, utcnow
from uzbekhub.common.mail import send_mail
from uzbekhub.common.ratelimit import check_failures, count_failure
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


def mail_code(email: str, code: str, purpose_sentence: str, note: str = "") -> None:
    send_mail(
        email,
        "Your UzbekHub code",
        f"{purpose_sentence}\n\n{code}\n\n{note}The code is valid for 5 minutes. "
        "If you did not ask for it, ignore this mail.",
    )


def signup(email: str, password: str) -> User:
    """Create an inactive user (or add an attempt to a pending one) and mail a code.

    Each attempt's code activates the password of that attempt only: a second sign-up of a
    pending address, by anyone, cannot change what the first one's code activates.
    """
    user = user_by_email(email)
    if user is not None and user.is_active:
        raise invalid("email", "A user with this email already exists.")
    if user is None:
        user = new_user(email, None, is_active=False)
        with refuse_duplicate("email", "A sign-up for this email is already in progress."):
            db.session.add(user)
    else:
        codes.refuse_early_resend(user, codes.SIGNUP)
    code = codes.issue(user, codes.SIGNUP, password_hash=hash_password(password))
    mail_code(
        user.email,
        code,
        "Welcome to UzbekHub! Your verification code is:",
        f"It confirms the sign-up made on {utcnow():%d %B %Y at %H:%M} UTC, with the password "
        "given then. If you did not sign up at that time, do not enter it.\n\n",
    )
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
    if user.is_active:  # activated meanwhile (Google, `flask create-admin`): nothing to confirm
        raise invalid("code", codes.INVALID_CODE)
    user.password_hash = used.password_hash
    user.is_active = True
    codes.discard(user, codes.SIGNUP)
    db.session.commit()


def signin(email: str, password: str) -> tuple[User, dict]:
    """Wrong passwords are counted per account, from this client address and from all."""
    account = normalise_email(email)
    check_failures("signin_account", account)
    user = user_by_email(account)
    if user is None:
        burn_password_check()
    elif user.is_active and verify_password(user.password_hash, password):
        user.last_login = utcnow()
        tokens = issue_tokens(user)
        db.session.commit()
        return user, tokens
    elif not user.is_active and any(
        verify_password(hashed, password) for hashed in _pending_passwords(user)
    ):
        raise Forbidden(NOT_VERIFIED)
    count_failure("signin_account", account)
    raise invalid("non_field_errors", WRONG_CREDENTIALS)


def _pending_passwords(user: User) -> list[str | None]:
    """The passwords a pending account answers 403 to: those of its sign-up attempts (and,
    for a sign-up made before attempts kept their own, the account's)."""
    return [user.password_hash, *codes.pending_passwords(user)]


def google_signin(id_token: str) -> dict:
    """Sign in with a Google ID token: link to the account with that email or create one."""
    claims = verify_id_token(id_token)
    user = user_by_email(claims["email"])
    with refuse_duplicate("token", "This account is being created; try again."):
        if user is None:
            user = new_user(
                claims["email"],
                None,
                is_active=True,
                first_name=str(claims.get("given_name") or "")[:150],
                last_name=str(claims.get("family_name") or "")[:150],
            )
            db.session.add(user)
        elif not user.is_active:
            # Google vouches for the address, not for the passwords of its pending sign-ups:
            # anyone could have chosen them. The owner sets a password when they want one.
            user.password_hash = None
            codes.discard(user, codes.SIGNUP)
            user.is_active = True
        user.last_login = utcnow()
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
