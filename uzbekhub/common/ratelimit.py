"""Named throttle scopes (DESIGN.md §2), each configured by THROTTLE_<SCOPE>."""

from collections.abc import Callable
from copy import deepcopy

from flask import Flask, current_app
from flask_smorest.utils import deepupdate

from uzbekhub.extensions import limiter


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


def register_limiter(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "uzbekhub")
    # If Redis goes away, count in memory until it is back rather than failing requests.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    limiter.init_app(app)
