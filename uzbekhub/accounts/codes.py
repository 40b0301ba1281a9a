"""Mailed 5-digit codes: sign-up, change-email and delete-account confirmations.

A code is random (`secrets`), stored as an HMAC, valid five minutes and used
once. A user has at most one live code per purpose; wrong guesses against it
are counted and the code dies after MAX_ATTEMPTS of them. Wrong guesses are also
counted per user and purpose across codes (THROTTLE_CODE_GUESSES), since a new
code can be asked for every minute, and guesses that name no user (the code-only
sign-up verification) share one budget (THROTTLE_CODE_ONLY_GUESSES): whoever
sends them and from wherever, a code is guessed only at the rate these allow.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from uzbekhub.accounts.models import User, VerificationCode
from uzbekhub.common.db import utcnow
from uzbekhub.common.ratelimit import check_budget, spend_budget
from uzbekhub.common.security import keyed_hash, new_code
from uzbekhub.errors import Throttled, invalid
from uzbekhub.extensions import db

SIGNUP = "signup"
CHANGE_EMAIL = "change_email"
DELETE_ACCOUNT = "delete_account"

CODE_TTL = timedelta(minutes=5)
RESEND_INTERVAL = timedelta(seconds=60)
MAX_ATTEMPTS = 5
INVALID_CODE = "The code is invalid or has expired."


def issue(user: User, purpose: str, new_email: str | None = None) -> str:
    """Replace the user's live code for `purpose` with a new one; returns the plain code."""
    db.session.execute(
        delete(VerificationCode).where(
            VerificationCode.user_id == user.id, VerificationCode.purpose == purpose
        )
    )
    code = _code_unique_among_live(purpose)
    db.session.add(
        VerificationCode(
            user_id=user.id,
            purpose=purpose,
            code_hash=keyed_hash(code),
            new_email=new_email,
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
        select(VerificationCode.created_at).where(
            VerificationCode.user_id == user.id, VerificationCode.purpose == purpose
        )
    )


def refuse_early_resend(user: User, purpose: str) -> None:
    """429 until a new code may be mailed (RESEND_INTERVAL after the last one)."""
    sent = last_sent_at(user, purpose)
    if sent is not None and (wait := (sent + RESEND_INTERVAL - utcnow()).total_seconds()) > 0:
        raise Throttled(wait, RESEND_INTERVAL.total_seconds())


def consume(purpose: str, code: str, user: User | None = None) -> VerificationCode:
    """Use up a live code, the user's own when `user` is given; 400 on `code` otherwise."""
    query = select(VerificationCode).where(
        VerificationCode.purpose == purpose, VerificationCode.expires_at > utcnow()
    )
    if user is not None:
        budget = f"{purpose}:{user.id}"
        check_budget("code_guesses", budget)
        live = db.session.scalar(query.where(VerificationCode.user_id == user.id))
        if live is None:
            raise invalid("code", INVALID_CODE)
        if live.code_hash != keyed_hash(code):
            spend_budget("code_guesses", budget)
            _count_wrong_guess(live)
            raise invalid("code", INVALID_CODE)
    else:
        check_budget("code_only_guesses", purpose)
        live = db.session.scalar(query.where(VerificationCode.code_hash == keyed_hash(code)))
        if live is None:
            spend_budget("code_only_guesses", purpose)
            raise invalid("code", INVALID_CODE)
    # Deleting by id and counting makes concurrent uses of one code succeed once.
    gone = db.session.execute(delete(VerificationCode).where(VerificationCode.id == live.id))
    if gone.rowcount != 1:
        raise invalid("code", INVALID_CODE)
    return live


def _count_wrong_guess(live: VerificationCode) -> None:
    """Committed at once: the wrong guess must count even though the request fails."""
    live.attempts += 1
    if live.attempts >= MAX_ATTEMPTS:
        db.session.execute(delete(VerificationCode).where(VerificationCode.id == live.id))
    db.session.commit()
