"""Password hashing, one-time codes and opaque tokens."""

import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from uzbekhub.common.offload import offload

CODE_DIGITS = 5


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def _current_hasher() -> PasswordHasher:
    cfg = current_app.config
    return _hasher(cfg["PASSWORD_HASH_TIME_COST"], cfg["PASSWORD_HASH_MEMORY_KIB"])


def hash_password(password: str) -> str:
    """argon2id with the configured cost (off the event loop: it takes tens of ms)."""
    return offload(_current_hasher().hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return offload(_current_hasher().verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_password_check() -> None:
    """Spend the time of a real check so that unknown emails are not told apart by timing."""
    verify_password(_dummy_hash(), "not the password")


def _dummy_hash() -> str:
    cfg = current_app.config
    return _dummy_hash_for(cfg["PASSWORD_HASH_TIME_COST"], cfg["PASSWORD_HASH_MEMORY_KIB"])


@lru_cache(maxsize=4)
def _dummy_hash_for(time_cost: int, memory_kib: int) -> str:
    return offload(_hasher(time_cost, memory_kib).hash, secrets.token_hex(16))


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 under SECRET_KEY: a stolen table alone does not reveal 5-digit codes."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def new_url_token() -> str:
    return secrets.token_urlsafe(32)
