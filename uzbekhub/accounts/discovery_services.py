"""Finding other users: search, profile by id, public profile, nearby (docs/rules.md).

Who may be found is decided by `visibility`; what is shown of them here: the
phone only to the user, staff and the user's contacts, never coordinates.
"""

from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import Location, User
from uzbekhub.accounts.nearby import (
    SNAP_KM,
    bounding_box,
    coarse_km,
    distance_km,
    rough_distance_order,
    snapped,
)
from uzbekhub.accounts.visibility import discoverable_user, has_added_contact, visible_user
from uzbekhub.common.pagination import array_headers, count_of
from uzbekhub.errors import invalid
from uzbekhub.extensions import db

# Nearby search weighs at most this many candidates, the nearest by a rough measure.
MAX_NEARBY_CANDIDATES = 5000
NO_LOCATION = "Set your location first: nearby search measures from it."


@dataclass(frozen=True)
class UserView:
    """A user as `caller` may see them: the phone only when the caller may know it."""

    user: User
    phone_visible: bool

    def __getattr__(self, name):
        return getattr(self.user, name)

    @property
    def phone(self) -> str | None:
        return self.user.phone if self.phone_visible else None


def phone_visible_to(caller: User):
    """SQL: the caller may see the phone of the user in the row."""
    if caller.is_staff:
        return literal(True)
    return or_(User.id == caller.id, has_added_contact(User.id, caller.id))


def _as_views(stmt: Select) -> list[UserView]:
    rows = db.session.execute(stmt.options(selectinload(User.location))).all()
    return [UserView(user, bool(visible)) for user, visible in rows]


def search(caller: User, key: str, args: dict):
    """Discoverable users whose username, first or last name contains `key` (any case).

    Exact username matches come first, then usernames starting with the key.
    """
    escaped = key.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    contains = f"%{escaped}%"
    rank = case(
        (func.lower(User.username) == key.lower(), 0),
        (func.lower(User.username).like(f"{escaped}%", escape="\\"), 1),
        else_=2,
    )
    stmt = (
        select(User, phone_visible_to(caller).label("phone_visible"))
        .where(
            discoverable_user(caller.id),
            or_(
                User.username.ilike(contains, escape="\\"),
                User.first_name.ilike(contains, escape="\\"),
                User.last_name.ilike(contains, escape="\\"),
            ),
        )
        .order_by(rank, User.id)
    )
    # The total rides along with the page (one pass over the matches instead of two);
    # only a page past the end, which has no rows to carry it, counts separately.
    page = stmt.add_columns(func.count().over().label("total"))
    rows = db.session.execute(
        page.limit(args["limit"]).offset(args["offset"]).options(selectinload(User.location))
    ).all()
    total = rows[0].total if rows else (count_of(stmt) if args["offset"] else 0)
    items = [UserView(user, bool(visible)) for user, visible, _ in rows]
    return items, array_headers(total, args)


def user_by_id(caller: User, user_id: int) -> UserView:
    """A user the caller may see (blocks, privacy), else 404."""
    views = _as_views(
        select(User, phone_visible_to(caller)).where(User.id == user_id, visible_user(caller.id))
    )
    if not views:
        raise NotFound()
    return views[0]


def public_profile(username: str, caller: User | None) -> User:
    """A public account by username, for anyone; blocks apply when the caller is signed in."""
    shown = discoverable_user(caller.id if caller else None)
    if caller:
        # Signed in, one previews one's own public profile as anyone else sees it.
        shown = or_(shown, and_(User.id == caller.id, discoverable_user(None)))
    user = db.first_or_404(select(User).where(func.lower(User.username) == username.lower(), shown))
    return user


def nearby(caller: User, km: float, args: dict):
    """Discoverable users within `km` of the caller, nearest first, in whole km.

    SQL narrows the search to the bounding box (on the indexed lat/long columns), and the
    distance between the snapped positions (`accounts.nearby`) decides on those candidates:
    the radius and every answered distance are whole kilometres, rounded up.
    """
    origin = db.session.execute(
        select(Location.lat, Location.long).where(Location.owner_id == caller.id)
    ).first()
    if origin is None:
        raise invalid("non_field_errors", NO_LOCATION)
    radius = coarse_km(km)
    lat, long = snapped(*origin)
    # Snapping moves either end by up to SNAP_KM: the box keeps everyone who may be in reach.
    box = bounding_box(lat, long, radius + 2 * SNAP_KM)
    candidates = db.session.execute(
        select(Location.owner_id, Location.lat, Location.long)
        .join(User, User.id == Location.owner_id)
        .where(box.contains(Location.lat, Location.long), discoverable_user(caller.id))
        .order_by(rough_distance_order(lat, long, Location.lat, Location.long))
        .limit(MAX_NEARBY_CANDIDATES)
    ).all()
    measured = sorted(
        (d, user_id)
        for user_id, c_lat, c_long in candidates
        if (d := coarse_km(distance_km((lat, long), snapped(c_lat, c_long)))) <= radius
    )
    page = measured[args["offset"] : args["offset"] + args["limit"]]
    users = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_([i for _, i in page])))
    }
    items = [_nearby_item(users[user_id], d) for d, user_id in page if user_id in users]
    return items, array_headers(len(measured), args)


def _nearby_item(user: User, km: int) -> dict:
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "username": user.username,
        "bio": user.bio,
        "profile_picture": user.profile_picture,
        "distance": float(km),
    }
