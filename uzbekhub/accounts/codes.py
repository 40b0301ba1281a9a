"""Mailed 5-digit codes: sign-up, change-email and delete-account confirmations.

A code is random (`secrets`), stored as an HMAC, valid five minutes and used
once. A user has one live code per purpose, the newest, except for sign-up:
each sign-up attempt of a pending address keeps its own code, bound to the
password given with it (`password_hash`), so that a code activates only the
password of its own attempt whoever made the others.

Wrong guesses are counted per user and purpose across codes, since a new code
can be asked for every minute: strictly from each client address
(THROTTLE_CODE_GUESSES) and more loosely from all of them together
(THROTTLE_CODE_GUESSES_ALL), so that someone else's wrong guesses do not spend
the owner's budget for their own code. Guesses that name no user (the code-only
sign-up verification) share one budget (THROTTLE_CODE_ONLY_GUESSES).
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from uzbekhub.accounts.models import User, VerificationCode
from uzbekhub.common.db import utcnow
from uzbekhub.common.ratelimit import check_budget, check_failures, count_failure, spend_budget
from uzbekhub.common.security import keyed_hash, new_code
from uzbekhub.errors import Throttled, invalid
from uzbekhub.extensions import db

SIGNUP = "signup"
CHANGE_EMAIL = "change_email"
DELETE_ACCOUNT = "delete_account"

CODE_TTL = timedelta(minutes=5)
RESEND_INTERVAL = timedelta(seconds=60)
INVALID_CODE = "The code is invalid or has expired."


def _of(user: User, purpose: str):
    return VerificationCode.user_id == user.id, VerificationCode.purpose == purpose


def issue(
    user: User,
    purpose: str,
    *,
    new_email: str | None = None,
    password_hash: str | None = None,
) -> str:
    """A new code for `purpose`; returns the plain code.

    It replaces the user's earlier code, except for a sign-up attempt, which joins the
    live attempts (expired ones are dropped).
    """
    stale = _of(user, purpose)
    if purpose == SIGNUP:
        stale = (*stale, VerificationCode.expires_at <= utcnow())
    db.session.execute(delete(VerificationCode).where(*stale))
    code = _code_unique_among_live(purpose)
    db.session.add(
        VerificationCode(
            user_id=user.id,
            purpose=purpose,
            code_hash=keyed_hash(code),
            new_email=new_email,
            password_hash=password_hash,
            expires_at=utcnow() + CODE_TTL,
        )
    )
    return code


def _code_unique_among_live(purpose: str) -> str:
    """Codes may be confirmed without naming the user, so live ones must not collide."""
    while True:
        code = new_code()
        taken = db.session.scalar(
            select(VerificationCode.id).where(
                VerificationCode.purpose == purpose,
                VerificationCode.code_hash == keyed_hash(code),
                VerificationCode.expires_at > utcnow(),
            )
        )
        if taken is None:
            return code


def last_sent_at(user: User, purpose: str) -> datetime | None:
    return db.session.scalar(
        select(func.max(VerificationCode.created_at)).where(*_of(user, purpose))
    )


def refuse_early_resend(user: User, purpose: str) -> None:
    """429 until a new code may be mailed (RESEND_INTERVAL after the last one)."""
    sent = last_sent_at(user, purpose)
    if sent is not None and (wait := (sent + RESEND_INTERVAL - utcnow()).total_seconds()) > 0:
        raise Throttled(wait, RESEND_INTERVAL.total_seconds())


def pending_passwords(user: User) -> list[str]:
    """The password hashes of the user's sign-up attempts."""
    return list(
        db.session.scalars(
            select(VerificationCode.password_hash).where(
                *_of(user, SIGNUP), VerificationCode.password_hash.is_not(None)
            )
        )
    )


def discard(user: User, purpose: str) -> None:
    """Every code of the user for `purpose` stops working."""
    db.session.execute(delete(VerificationCode).where(*_of(user, purpose)))


def consume(purpose: str, code: str, user: User | None = None) -> VerificationCode:
    """Use up a live code, the user's own when `user` is given; 400 on `code` otherwise."""
    query = select(VerificationCode).where(
        VerificationCode.purpose == purpose,
        VerificationCode.expires_at > utcnow(),
        VerificationCode.code_hash == keyed_hash(code),
    )
    if user is not None:
        budget = f"{purpose}:{user.id}"
        check_failures("code_guesses", budget)
        live = db.session.scalar(query.where(VerificationCode.user_id == user.id))
        if live is None:
            count_failure("code_guesses", budget)
            raise invalid("code", INVALID_CODE)
    else:
        check_budget("code_only_guesses", purpose)
        live = db.session.scalar(query)
        if live is None:
            spend_budget("code_only_guesses", purpose)
            raise invalid("code", INVALID_CODE)
    # Deleting by id and counting makes concurrent uses of one code succeed once.
    gone = db.session.execute(delete(VerificationCode).where(VerificationCode.id == live.id))
    if gone.rowcount != 1:
        raise invalid("code", INVALID_CODE)
    return live
