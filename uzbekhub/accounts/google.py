"""Google ID tokens, verified with joserfc (authlib's JOSE library).

Keys come from GOOGLE_JWKS_URL and are cached; an unknown key id triggers one
refetch, so Google's key rotation needs no restart.
"""

import json
import logging
import threading
import time
import urllib.request

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from uzbekhub.errors import ServiceUnavailable, Unauthorized

log = logging.getLogger(__name__)

ISSUERS = ["accounts.google.com", "https://accounts.google.com"]
KEYS_TTL_SECONDS = 3600
BAD_TOKEN = "Invalid Google token."

_cache: dict[str, tuple[float, KeySet]] = {}
_lock = threading.Lock()


def _fetch_keys(url: str) -> KeySet:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (configured URL)
            return KeySet.import_key_set(json.loads(response.read()))
    except (OSError, ValueError, JoseError) as exc:
        log.error("could not fetch Google keys from %s: %s", url, exc)
        raise ServiceUnavailable("Google sign-in is unavailable right now.") from exc


def _keys(url: str, refresh: bool = False) -> KeySet:
    with _lock:
        cached = _cache.get(url)
        if refresh or cached is None or cached[0] < time.monotonic():
            cached = (time.monotonic() + KEYS_TTL_SECONDS, _fetch_keys(url))
            _cache[url] = cached
        return cached[1]


def _decode(token: str, url: str):
    try:
        return jwt.decode(token, _keys(url), algorithms=["RS256"])
    except ValueError:
        # Unknown key id: Google may have rotated its keys since we fetched them.
        return jwt.decode(token, _keys(url, refresh=True), algorithms=["RS256"])


def verify_id_token(token: str) -> dict:
    """The claims of a valid Google ID token with a verified email; 401 otherwise."""
    client_id = current_app.config.get("GOOGLE_CLIENT_ID")
    if not client_id:
        raise ServiceUnavailable("Google sign-in is not configured.")
    try:
        decoded = _decode(token, current_app.config["GOOGLE_JWKS_URL"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "values": ISSUERS},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            email={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError, TypeError) as exc:
        log.info("refused Google token: %s", exc)
        raise Unauthorized(BAD_TOKEN) from None
    claims = decoded.claims
    if claims.get("email_verified") not in (True, "true"):
        raise Unauthorized(BAD_TOKEN)
    return claims
