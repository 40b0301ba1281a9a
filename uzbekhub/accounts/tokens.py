"""JWT pairs, rotation and revocation.

Every token carries the user's `ver` (token_version): bumping it revokes all of
the user's tokens at once. Access tokens carry `rfr`, the jti of the refresh
token they were issued with, so that logging out revokes both. Revoked jtis go
to Redis when REDIS_URL is set and to the `revoked_tokens` table otherwise.

Revocations are announced after their commit to the hooks registered with
`on_revocation` (the real-time layer closes the sockets those tokens opened).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from flask import Flask, g
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from jwt import PyJWTError
from sqlalchemy import Select, bindparam, delete, exists, select
from sqlalchemy.exc import IntegrityError

from uzbekhub.accounts.models import RevokedToken, User
from uzbekhub.common.db import after_commit, utcnow
from uzbekhub.common.redis import redis_client
from uzbekhub.errors import Unauthorized, respond
from uzbekhub.extensions import db, jwt

REDIS_PREFIX = "uzbekhub:revoked:"


@dataclass(frozen=True)
class Revocation:
    """Tokens of a user that stopped being valid, announced once that is committed.

    Either every token of a version below `below_version` (password change or
    reset, account deletion), or the refresh tokens in `jtis` and the access
    tokens issued with them. `successor` is set when a refresh token was rotated:
    it names the refresh token that carries the session on.
    """

    user_id: int
    jtis: tuple[str, ...] = ()
    successor: str | None = None
    below_version: int | None = None


_revocation_hooks: list[Callable[[Revocation], None]] = []


def on_revocation(hook: Callable[[Revocation], None]) -> None:
    """Register `hook(revocation)`, called after the commit that revoked the tokens."""
    if hook not in _revocation_hooks:
        _revocation_hooks.append(hook)


def _announce(revocation: Revocation) -> None:
    def announce() -> None:
        for hook in list(_revocation_hooks):
            hook(revocation)

    after_commit(db.session, announce)


def _issue(user: User) -> tuple[dict[str, str], str]:
    refresh_jti = uuid.uuid4().hex
    identity = str(user.id)
    refresh = create_refresh_token(
        identity, additional_claims={"ver": user.token_version, "jti": refresh_jti}
    )
    access = create_access_token(
        identity, additional_claims={"ver": user.token_version, "rfr": refresh_jti}
    )
    return {"access": access, "refresh": refresh}, refresh_jti


def issue_tokens(user: User) -> dict[str, str]:
    return _issue(user)[0]


def revoke_all(user: User) -> None:
    """Invalidate every token of `user` (committed by the caller)."""
    user.token_version += 1
    _announce(Revocation(user.id, below_version=user.token_version))


def revoke_jti(jti: str, expires_at: datetime) -> bool:
    """Put `jti` on the blocklist until it expires; False if it already was there."""
    client = redis_client()
    if client is not None:
        ttl = max(1, int((expires_at - utcnow()).total_seconds()) + 1)
        return bool(client.set(REDIS_PREFIX + jti, 1, ex=ttl, nx=True))
    db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    try:
        with db.session.begin_nested():
            db.session.add(RevokedToken(jti=jti, expires_at=expires_at))
    except IntegrityError:
        return False
    return True


@cache
def _user_and_revocation() -> Select:
    """The token's user and whether one of its jtis is revoked, built once (every request)."""
    revoked = exists().where(RevokedToken.jti.in_(bindparam("jtis", expanding=True)))
    return select(User, revoked).where(User.id == bindparam("user_id"))


def _user_id(payload: dict) -> int | None:
    try:
        return int(payload["sub"])
    except (KeyError, TypeError, ValueError):
        return None


def _current(user: User | None, payload: dict) -> User | None:
    """The user if active and the token is still of the user's current version."""
    if user is None or not user.is_active or payload.get("ver") != user.token_version:
        return None
    return user


def token_user(payload: dict) -> User | None:
    """The user a token stands for; None when the token is revoked: its user is gone,
    inactive or has bumped token_version, or a jti is listed.

    Every authenticated request asks this, so without Redis the user and the blocklist
    are read in one statement.
    """
    user_id = _user_id(payload)
    if user_id is None:
        return None
    jtis = [j for j in (payload.get("jti"), payload.get("rfr")) if j]
    client = redis_client()
    if client is not None:
        user = _current(db.session.get(User, user_id), payload)
        listed = user is not None and any(client.mget([REDIS_PREFIX + j for j in jtis]))
    else:
        row = db.session.execute(_user_and_revocation(), {"user_id": user_id, "jtis": jtis}).first()
        user = _current(row[0], payload) if row else None
        listed = bool(row and row[1])
    return None if listed else user


def is_revoked(payload: dict) -> bool:
    return token_user(payload) is None


def _request_user(payload: dict) -> User | None:
    """`token_user` once per request: flask-jwt-extended's blocklist check and its
    `current_user` share the one read."""
    if "token_user" not in g:
        g.token_user = token_user(payload)
    return g.token_user


def decode_refresh(token: str) -> tuple[dict, User]:
    """Validate a refresh token given in a request body; 401 for anything wrong."""
    try:
        payload = decode_token(token)
    except PyJWTError:
        raise Unauthorized("Token is invalid or expired") from None
    user = token_user(payload) if payload.get("type") == "refresh" else None
    if user is None:
        raise Unauthorized("Token is invalid or expired")
    return payload, user


def rotate(token: str) -> dict[str, str]:
    payload, user = decode_refresh(token)
    if not revoke_jti(payload["jti"], _expiry(payload)):
        raise Unauthorized("Token is invalid or expired")
    pair, refresh_jti = _issue(user)
    _announce(Revocation(user.id, (payload["jti"],), successor=refresh_jti))
    db.session.commit()
    return pair


def logout(token: str) -> None:
    payload, user = decode_refresh(token)
    if not revoke_jti(payload["jti"], _expiry(payload)):
        raise Unauthorized("Token is invalid or expired")
    _announce(Revocation(user.id, (payload["jti"],)))
    db.session.commit()


def _expiry(payload: dict) -> datetime:
    return datetime.fromtimestamp(payload["exp"], UTC)


def _unauthorized(detail: str):
    return respond(401, Unauthorized(detail))


def register_jwt(app: Flask) -> None:
    """Token lifetimes from config, and every JWT failure answered as 401 {"detail"}."""
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=app.config["JWT_ACCESS_MINUTES"])
    app.config["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(days=app.config["JWT_REFRESH_DAYS"])
    app.config.setdefault("JWT_TOKEN_LOCATION", ["headers"])
    jwt.init_app(app)

    jwt.token_in_blocklist_loader(lambda header, payload: _request_user(payload) is None)
    jwt.user_lookup_loader(lambda header, payload: _request_user(payload))
    jwt.unauthorized_loader(
        lambda reason: _unauthorized("Authentication credentials were not provided.")
    )
    jwt.invalid_token_loader(lambda reason: _unauthorized("Token is invalid."))
    jwt.expired_token_loader(lambda header, payload: _unauthorized("Token has expired."))
    jwt.revoked_token_loader(lambda header, payload: _unauthorized("Token has been revoked."))
    jwt.user_lookup_error_loader(
        lambda header, payload: _unauthorized("User not found or inactive.")
    )
    jwt.needs_fresh_token_loader(lambda header, payload: _unauthorized("Fresh token required."))
    jwt.token_verification_failed_loader(lambda header, payload: _unauthorized("Token is invalid."))
