"""Who is calling: the request's access token, verified once, and the user behind it.

`verify_access()` finds the token (the Authorization header; `?token=` where a route
allows it), decodes and verifies it once per request and checks it against the cached
state of its user (`tokens.token_state`): no database round trip for a user and a
session already seen. Views that need only the caller's id or flags use
`caller_state()`; `current_user` is the caller's `User`, loaded from the database the
first time a view uses it (its relationships then find it in the session, as before), and
checked again against the token then (a view that loads the user never acts on a state
older than the database's).
"""

from flask import g, request
from werkzeug.local import LocalProxy

from uzbekhub.accounts.models import User
from uzbekhub.accounts.token_state import UserState
from uzbekhub.accounts.tokens import (
    NO_CREDENTIALS,
    REVOKED,
    Claims,
    current_for,
    token_state,
    verified_claims,
)
from uzbekhub.errors import Unauthorized
from uzbekhub.extensions import db


def request_token(query_string: bool = False) -> str | None:
    """`Authorization: Bearer <token>`, else `?token=` when `query_string` (browsers cannot
    set headers on media links and WebSockets)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return (request.args.get("token") or None) if query_string else None


def verify_access(optional: bool = False, query_string: bool = False) -> UserState | None:
    """The caller's state; Unauthorized (401, its cause's sentence) for a missing, malformed,
    expired or revoked token. With `optional`, no token at all is None."""
    if "caller_state" in g:
        return g.caller_state
    token = request_token(query_string)
    if token is None:
        if optional:
            g.caller_state = None
            return None
        raise Unauthorized(NO_CREDENTIALS)
    claims = verified_claims(token, "access")
    state = token_state(claims)
    if state is None:
        raise Unauthorized(REVOKED)
    g.caller_claims, g.caller_state = claims, state
    return state


def caller_state() -> UserState:
    """The state of the caller of a view behind `login_required`."""
    state = g.get("caller_state")
    if state is None:
        raise RuntimeError("caller_state() outside a verified request")
    return state


def caller_claims() -> Claims | None:
    return g.get("caller_claims")


def _caller() -> User | None:
    if "caller" not in g:
        state = g.get("caller_state")
        user = None
        if state is not None:
            user = db.session.get(User, state.id)
            if not current_for(user, g.caller_claims):
                raise Unauthorized(REVOKED)
        g.caller = user
    return g.caller


current_user: User = LocalProxy(_caller)  # type: ignore[assignment]
