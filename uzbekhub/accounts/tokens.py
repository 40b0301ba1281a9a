"""JWT pairs, sessions, rotation and revocation.

A sign-in starts a session. Every token of it carries the session id (`sid`),
the user's `ver` (token_version) and the time it was issued (`iat`):

- rotating a refresh token revokes that refresh token and issues a new pair in
  the same session; access tokens issued before stay valid until they expire;
- a rotated refresh token presented again is taken for a stolen copy and ends
  its whole session, unless it comes within REFRESH_RETRY_SECONDS of the
  rotation (a client retrying, or two tabs refreshing at once): then it is only
  refused;
- logout ends the session; bumping token_version (password change or reset,
  account deletion) ends every session of the user;
- a token issued before its account was created names an earlier account that
  had the same id, and is refused.

Revoked refresh tokens (by jti) and ended sessions (by sid) go to Redis when
REDIS_URL is set and to the `revoked_tokens` table otherwise, with the time of
their revocation. Revocations are announced after their commit to the hooks
registered with `on_revocation` (the real-time layer closes the sockets of the
sessions that ended). With Redis, a bumped token_version is listed too
(`uzbekhub:revoked:user:<id>` holds the lowest version still good), so that every
process refuses the older tokens at once, whatever its cache of user states
(`token_state`) says.

An access token costs no database round trip: it is decoded and verified once
(`_verified`, remembered for the next requests that send it), its user's state comes
from the cache of `uzbekhub.accounts.token_state`, and its session is checked against
Redis (one MGET with the user's lowest version) or, without Redis, against this
process's memory of live sessions, filled from the table.
"""

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache

from flask import Flask, current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from jwt import ExpiredSignatureError, ImmatureSignatureError, InvalidTokenError, PyJWTError
from jwt import decode as jwt_decode
from sqlalchemy import Select, bindparam, delete, exists, select

from uzbekhub.accounts.models import RevokedToken, User
from uzbekhub.accounts.token_state import UserState, register_token_states, token_states
from uzbekhub.common.db import MAX_ID, after_commit, unique_savepoint, utcnow
from uzbekhub.common.redis import redis_client
from uzbekhub.errors import Unauthorized, respond
from uzbekhub.extensions import db, jwt

REDIS_PREFIX = "uzbekhub:revoked:"
USER_PREFIX = REDIS_PREFIX + "user:"
TOKEN_ID = re.compile(r"[0-9a-f-]{1,64}")
USER_ID = re.compile(r"[1-9][0-9]{0,9}")

# One sentence per cause of a 401 (README, "Tokens").
NO_CREDENTIALS = "Authentication credentials were not provided."
INVALID = "Token is invalid."
EXPIRED = "Token has expired."
REVOKED = "Token has been revoked."


@dataclass(frozen=True)
class Claims:
    """What a token of ours says, checked (`claims_of`)."""

    user_id: int
    version: int
    issued_at: int
    expires_at: int
    jti: str
    session: str
    kind: str


def claims_of(payload: dict) -> Claims:
    """The claims every token of ours carries, of the right types and ranges.

    InvalidTokenError otherwise: a token signed with our key but saying anything
    else (an id past 32 bits, a version that is no number) is refused as invalid
    before anything is looked up.
    """
    sub, ver = payload.get("sub"), payload.get("ver")
    iat, exp = payload.get("iat"), payload.get("exp")
    jti, sid, kind = payload.get("jti"), payload.get("sid"), payload.get("type")
    well_formed = (
        isinstance(sub, str)
        and USER_ID.fullmatch(sub)
        and int(sub) <= MAX_ID
        and type(ver) is int
        and 0 <= ver <= MAX_ID
        and type(iat) is int
        and type(exp) is int
        and all(isinstance(v, str) and TOKEN_ID.fullmatch(v) for v in (jti, sid))
        and kind in ("access", "refresh")
    )
    if not well_formed:
        raise InvalidTokenError("malformed claims")
    return Claims(int(sub), ver, iat, exp, jti, sid, kind)


def verified_claims(token: str, kind: str) -> Claims:
    """The claims of a token of `kind` (from a header, a body, a socket); Unauthorized
    with the sentence of its cause otherwise."""
    config = current_app.config
    try:
        claims, valid_from, valid_until = _verified(
            token, config["JWT_SECRET_KEY"], config["JWT_ALGORITHM"], config["JWT_DECODE_LEEWAY"]
        )
        now = time.time()
        if now >= valid_until:
            raise ExpiredSignatureError("verified before, expired since")
        if now < valid_from:  # the clock went back
            raise ImmatureSignatureError("not valid yet")
    except ExpiredSignatureError:
        raise Unauthorized(EXPIRED) from None
    except PyJWTError:
        raise Unauthorized(INVALID) from None
    if claims.kind != kind:
        raise Unauthorized(INVALID)
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, key: str, algorithm: str, leeway) -> tuple[Claims, float, float]:
    """A token signed with `key`, parsed and verified (PyJWT's checks of `exp`, `nbf` and
    `iat` included; PyJWTError otherwise), with the times between which it stays valid.

    Remembered per token: a client sends the same access token with every request, and
    verifying it (base64, two JSON documents, an HMAC, the claims) cost a tenth of a hot
    read's CPU. Only a token that verified is remembered, under its whole text, signature
    included, so any other text is verified anew; the caller still holds it to its times.
    What revokes a token (its user's version, its session) is checked after this, always.
    """
    payload = jwt_decode(
        token, key, algorithms=[algorithm], leeway=leeway, options={"require": ["exp", "iat"]}
    )
    claims = claims_of(payload)
    seconds = leeway.total_seconds() if isinstance(leeway, timedelta) else leeway
    starts = max(payload.get("nbf", claims.issued_at), claims.issued_at)
    return claims, starts - seconds, claims.expires_at + seconds


@dataclass(frozen=True)
class Revocation:
    """Tokens of a user that stopped being valid, announced once that is committed:
    every token of a version below `below_version`, or those of one `session`."""

    user_id: int
    session: str | None = None
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


def issue_tokens(user: User, session: str | None = None) -> dict[str, str]:
    """A token pair for `user`, in `session` or in a new one (a sign-in)."""
    identity = str(user.id)
    claims = {"ver": user.token_version, "sid": session or uuid.uuid4().hex}
    return {
        "access": create_access_token(identity, additional_claims=claims),
        "refresh": create_refresh_token(identity, additional_claims=claims),
    }


def revoke_all(user: User) -> None:
    """Invalidate every token of `user` (committed by the caller)."""
    user.token_version += 1
    user_id, version = user.id, user.token_version
    client = redis_client()
    if client is not None:
        after_commit(db.session, lambda: _list_version(client, user_id, version))
    _announce(Revocation(user.id, below_version=version))


def _list_version(client, user_id: int, version: int) -> None:
    """Tokens of `user_id` below `version` are refused by every process from now on (kept
    as long as a token issued before now can live; a later bump only raises it)."""
    config = current_app.config
    lifetime = max(config["JWT_REFRESH_TOKEN_EXPIRES"], config["JWT_ACCESS_TOKEN_EXPIRES"])
    key = USER_PREFIX + str(user_id)
    ttl = int(lifetime.total_seconds()) + 1
    # Never lowered: an older bump announced late must not undo a newer one.
    client.eval(_RAISE_VERSION, 1, key, version, ttl)


_RAISE_VERSION = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 1
"""


def _revoke(token_id: str, expires_at: datetime) -> datetime | None:
    """List `token_id` until `expires_at`: None, or when it already was listed."""
    now = utcnow()
    client = redis_client()
    if client is not None:
        ttl = max(1, int((expires_at - now).total_seconds()) + 1)
        if client.set(REDIS_PREFIX + token_id, now.timestamp(), ex=ttl, nx=True):
            return None
        return _revoked_at(token_id) or now
    db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
    with unique_savepoint() as saved:
        db.session.add(RevokedToken(jti=token_id, expires_at=expires_at, revoked_at=now))
    return (_revoked_at(token_id) or now) if saved.refused else None


def _revoked_at(token_id: str) -> datetime | None:
    client = redis_client()
    if client is not None:
        listed = client.get(REDIS_PREFIX + token_id)
        return None if listed is None else datetime.fromtimestamp(float(listed), UTC)
    return db.session.scalar(select(RevokedToken.revoked_at).where(RevokedToken.jti == token_id))


@cache
def _revocation_listed() -> Select:
    """Whether a jti or session is in the table (without Redis), built once."""
    return select(exists().where(RevokedToken.jti.in_(bindparam("ids", expanding=True))))


def current_for(user: User | UserState | None, claims: Claims) -> bool:
    """Whether the user is active and the token of the user's current version and account."""
    if user is None or not user.is_active or claims.version != user.token_version:
        return False
    joined_at = user.joined_at if isinstance(user, UserState) else user.date_joined.timestamp()
    return claims.issued_at >= int(joined_at)


def token_state(claims: Claims) -> UserState | None:
    """The state of the user an access token stands for; None when the token is revoked:
    its user is gone, inactive, newer than the token or has bumped token_version, or its
    session has ended.

    Every authenticated request asks this, and it reads no database once the user and
    the session have been seen: with Redis, one MGET of the session, the jti and the
    user's lowest good version; without, this process's memory (it ends every session).
    """
    states = token_states()
    # A token newer than the cached state means the state is behind: it is read again.
    state = states.state(claims.user_id, at_least_version=claims.version)
    if not current_for(state, claims):
        return None
    client = redis_client()
    if client is not None:
        jti, session, lowest = client.mget(
            [REDIS_PREFIX + claims.jti, REDIS_PREFIX + claims.session, USER_PREFIX + str(state.id)]
        )
        if jti is not None or session is not None:
            return None
        if lowest is not None and claims.version < int(lowest):
            states.forget([state.id])
            return None
        return state
    live = states.live_sessions
    if live.get(claims.session) is None:
        generation = live.generation
        ids = [claims.jti, claims.session]
        if db.session.scalar(_revocation_listed(), {"ids": ids}):
            return None
        live.put(claims.session, True, generation)
    return state


def access_claims(token: str) -> Claims:
    """The claims of a live access token (a socket's); Unauthorized otherwise."""
    claims = verified_claims(token, "access")
    if token_state(claims) is None:
        raise Unauthorized(REVOKED)
    return claims


def _live_refresh(token: str) -> tuple[Claims, User]:
    """A refresh token that may still be used, and its user; 401 otherwise.

    A refresh token that was rotated away and comes back after the retry window ends
    its session (committed here, before the 401).
    """
    claims = verified_claims(token, "refresh")
    user = db.session.get(User, claims.user_id)
    if not current_for(user, claims) or _revoked_at(claims.session) is not None:
        raise Unauthorized(REVOKED)
    rotated_at = _revoked_at(claims.jti)
    if rotated_at is not None:
        if utcnow() - rotated_at > _retry_window():
            _end_session(user, claims.session)
            db.session.commit()
        raise Unauthorized(REVOKED)
    return claims, user


def _retry_window() -> timedelta:
    return timedelta(seconds=current_app.config["REFRESH_RETRY_SECONDS"])


def _end_session(user: User, session: str) -> None:
    config = current_app.config
    lifetime = max(config["JWT_REFRESH_TOKEN_EXPIRES"], config["JWT_ACCESS_TOKEN_EXPIRES"])
    _revoke(session, utcnow() + lifetime)
    # Listed (Redis) or in the transaction (table) already; this process stops trusting
    # its memory of the session now, and again once the row is committed.
    live = token_states().live_sessions
    live.forget(session)
    after_commit(db.session, lambda: live.forget(session))
    _announce(Revocation(user.id, session=session))


def rotate(token: str) -> dict[str, str]:
    claims, user = _live_refresh(token)
    if _revoke(claims.jti, datetime.fromtimestamp(claims.expires_at, UTC)) is not None:
        # Rotated by a concurrent request a moment ago: a retry, not a theft.
        raise Unauthorized(REVOKED)
    pair = issue_tokens(user, claims.session)
    db.session.commit()
    return pair


def logout(token: str) -> None:
    claims, user = _live_refresh(token)
    _end_session(user, claims.session)
    db.session.commit()


def _unauthorized(detail: str):
    return respond(401, Unauthorized(detail))


def register_jwt(app: Flask) -> None:
    """Token lifetimes from config, and every JWT failure answered as 401 {"detail"}."""
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=app.config["JWT_ACCESS_MINUTES"])
    app.config["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(days=app.config["JWT_REFRESH_DAYS"])
    app.config.setdefault("JWT_TOKEN_LOCATION", ["headers"])
    jwt.init_app(app)
    register_token_states(app)
    # Requests verify their token through `uzbekhub.accounts.caller`; flask-jwt-extended
    # only issues tokens, and answers in our format should anything still verify with it.
    jwt.unauthorized_loader(lambda reason: _unauthorized(NO_CREDENTIALS))
    jwt.invalid_token_loader(lambda reason: _unauthorized(INVALID))
    jwt.expired_token_loader(lambda header, payload: _unauthorized(EXPIRED))
    jwt.revoked_token_loader(lambda header, payload: _unauthorized(REVOKED))
    jwt.user_lookup_error_loader(lambda header, payload: _unauthorized(REVOKED))
    jwt.needs_fresh_token_loader(lambda header, payload: _unauthorized(INVALID))
    jwt.token_verification_failed_loader(lambda header, payload: _unauthorized(INVALID))
