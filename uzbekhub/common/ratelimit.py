"""Named throttle scopes (docs/throttling.md), each configured by THROTTLE_<SCOPE>.

`throttle` limits requests to a view; `check_budget`/`spend_budget` count failures
(wrong codes) per key, whichever view and client they come from, and
`check_failures`/`count_failure` count them twice: strictly per key and client address
(THROTTLE_<SCOPE>) and more loosely per key from all addresses (THROTTLE_<SCOPE>_ALL),
so that a client that keeps failing is stopped long before the owner of the key is.
"""

import logging
import time
from collections.abc import Callable
from copy import deepcopy

from flask import Flask, current_app, request
from flask_smorest.utils import deepupdate
from limits import parse

from uzbekhub.accounts.caller import caller_state
from uzbekhub.errors import Throttled
from uzbekhub.extensions import limiter

log = logging.getLogger(__name__)


def throttle(scope: str, key_func: Callable[[], str] | None = None):
    """Limit a view by THROTTLE_<SCOPE>; views sharing a scope share one budget.

    The view's OpenAPI entry documents the 429 answer too.
    """
    limit = limiter.shared_limit(
        lambda: current_app.config[f"THROTTLE_{scope.upper()}"], scope=scope, key_func=key_func
    )

    def decorator(view):
        limited = limit(view)
        limited._apidoc = deepupdate(
            deepcopy(getattr(view, "_apidoc", {})),
            {"manual_doc": {"responses": {"429": "TOO_MANY_REQUESTS"}}},
        )
        return limited

    return decorator


def per_user() -> str:
    """Throttle key of views behind `login_required`: the signed-in user, wherever from."""
    return f"user:{caller_state().id}"


def _budget(scope: str, key: str):
    item = parse(current_app.config[f"THROTTLE_{scope.upper()}"])
    return item, (current_app.config["RATELIMIT_KEY_PREFIX"], "budget", scope, key)


def check_budget(scope: str, key: str) -> None:
    """429 once the failures counted for `key` under THROTTLE_<SCOPE> are used up."""
    if not limiter.enabled:
        return
    item, ids = _budget(scope, key)
    try:
        if limiter.limiter.test(item, *ids):
            return
        reset_at, _ = limiter.limiter.get_window_stats(item, *ids)
    except Exception:  # the storage is down: like the throttles, do not fail the request
        log.warning("failure budget %s unavailable", scope, exc_info=True)
        return
    raise Throttled(reset_at - time.time(), item.get_expiry())


def spend_budget(scope: str, key: str) -> None:
    """Count one failure for `key` under THROTTLE_<SCOPE>."""
    if not limiter.enabled:
        return
    item, ids = _budget(scope, key)
    try:
        limiter.limiter.hit(item, *ids)
    except Exception:
        log.warning("failure budget %s unavailable", scope, exc_info=True)


def _from_client(key: str) -> str:
    return f"{key}|{request.remote_addr}"


def check_failures(scope: str, key: str) -> None:
    """429 once the failures for `key` from this client address, or from all, are used up."""
    check_budget(scope, _from_client(key))
    check_budget(f"{scope}_all", key)


def count_failure(scope: str, key: str) -> None:
    """Count one failure for `key` from this client address (and so from all)."""
    spend_budget(scope, _from_client(key))
    spend_budget(f"{scope}_all", key)


def register_limiter(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "uzbekhub")
    # If Redis goes away, count in memory until it is back rather than failing requests.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    limiter.init_app(app)
