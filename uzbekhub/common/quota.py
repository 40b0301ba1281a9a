"""One storage quota per user across posts, stories and chat (MEDIA_QUOTA_MB).

Each domain that keeps a user's uploads registers the SQL sum of the bytes it holds
for a user (`count_media`); a request about to store new bytes asks `require_room`
first, and gets a 413 when they would not fit. Only counting lives here: how and
where bytes are written is `uzbekhub.common.media`'s business.
"""

from collections.abc import Callable

from flask import current_app
from sqlalchemy import Select, select

from uzbekhub.accounts.models import User
from uzbekhub.errors import PayloadTooLarge
from uzbekhub.extensions import db

MIB = 1024 * 1024

# (user id) -> a statement selecting the bytes one domain keeps for that user.
MediaUsage = Callable[[int], Select]
_usages: list[MediaUsage] = []


def count_media(usage: MediaUsage) -> None:
    """Count what `usage` sums against every user's quota."""
    if usage not in _usages:
        _usages.append(usage)


def used_bytes(user_id: int) -> int:
    return sum(db.session.scalar(usage(user_id)) or 0 for usage in _usages)


def require_room(user_id: int, new_bytes: int) -> None:
    """413 unless the user's stored media and `new_bytes` fit in MEDIA_QUOTA_MB.

    Locks the user's row until the request commits (PostgreSQL), so that concurrent
    uploads of one user are counted one after the other.
    """
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    quota = current_app.config["MEDIA_QUOTA_MB"]
    if used_bytes(user_id) + new_bytes > quota * MIB:
        raise PayloadTooLarge(f"Your media storage quota of {quota:g} MB is used up.")
