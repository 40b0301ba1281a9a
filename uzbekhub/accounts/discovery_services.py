"""Finding other users: search, profile by id, public profile, nearby (docs/rules.md).

Who may be found is decided by `visibility`; what is shown of them here: the
phone only to the user, staff and the user's contacts, never coordinates.

Search, a user by id and nearby are hot reads: Core selects of the columns the answer shows,
built once with bound parameters, shaped by `user_rows` as the schemas dump them. The caller
is the token's cached `UserState` (id and staff flag), never a loaded `User`.
"""

from functools import cache

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, null, or_, select
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import Location, User
from uzbekhub.accounts.nearby import (
    SNAP_KM,
    bounding_box,
    box_condition,
    coarse_km,
    distance_km,
    rough_distance_order,
    rough_distance_params,
    snapped,
)
from uzbekhub.accounts.token_state import UserState
from uzbekhub.accounts.user_rows import FACE_COLUMNS, PLACE_COLUMNS, face_of, user_columns, user_of
from uzbekhub.accounts.visibility import discoverable_user, has_added_contact, visible_user
from uzbekhub.common.pagination import array_headers
from uzbekhub.common.reads import named_rows, untransacted
from uzbekhub.errors import invalid
from uzbekhub.extensions import db

# Nearby search weighs at most this many candidates, the nearest by a rough measure.
MAX_NEARBY_CANDIDATES = 5000
NO_LOCATION = "Set your location first: nearby search measures from it."


def shown_phone(caller_is_staff: bool, caller_id) -> ColumnElement:
    """SQL: the user's phone where the caller may see it (the user themself, staff, or one
    of the user's contacts), else null."""
    if caller_is_staff:
        return User.phone
    may_see = or_(User.id == caller_id, has_added_contact(User.id, caller_id))
    return case((may_see, User.phone), else_=null())


def _as_seen_by(staff: bool) -> tuple[ColumnElement, ...]:
    """What the caller (bound as `caller_id`) may see of users, but for their place."""
    return user_columns(shown_phone(staff, bindparam("caller_id")))


def _users_as_seen_by(staff: bool) -> Select:
    """Users with what the caller may see of them, place included."""
    return select(*_as_seen_by(staff), *PLACE_COLUMNS).outerjoin(
        Location, Location.owner_id == User.id
    )


def _search_matches() -> ColumnElement[bool]:
    caller_id, contains = bindparam("caller_id"), bindparam("contains")
    return and_(
        discoverable_user(caller_id),
        or_(
            User.username.ilike(contains, escape="\\"),
            User.first_name.ilike(contains, escape="\\"),
            User.last_name.ilike(contains, escape="\\"),
        ),
    )


@cache
def _search_page(staff: bool) -> Select:
    username = func.lower(User.username)
    rank = case(
        (username == bindparam("key"), 0),
        (username.like(bindparam("starts"), escape="\\"), 1),
        else_=2,
    ).label("search_rank")
    # The total rides along with the page (one pass over the matches instead of two). The
    # page is cut from `users` alone and only its rows meet their places: joined before the
    # limit, every match's place was read, by a scan of all places once matches are many.
    page = (
        select(*_as_seen_by(staff), func.count().over().label("total"), rank)
        .where(_search_matches())
        .order_by(rank, User.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    return (
        select(page, *PLACE_COLUMNS)
        .outerjoin(Location, Location.owner_id == page.c.id)
        .order_by(page.c.search_rank, page.c.id)
    )


@cache
def _search_total() -> Select:
    return select(func.count()).select_from(User).where(_search_matches())


def search(caller: UserState, key: str, args: dict):
    """Discoverable users whose username, first or last name contains `key` (any case).

    Exact username matches come first, then usernames starting with the key.
    """
    escaped = key.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params = {
        "caller_id": caller.id,
        "key": key.lower(),
        "starts": f"{escaped}%",
        "contains": f"%{escaped}%",
        "limit": args["limit"],
        "offset": args["offset"],
    }
    with untransacted() as reader:
        rows = named_rows(reader.execute(_search_page(caller.is_staff), params))
        if rows:
            total = rows[0].total
        else:  # only a page past the end, which has no rows to carry the total, counts apart
            total = reader.scalar(_search_total(), params) if args["offset"] else 0
    return [user_of(row) for row in rows], array_headers(total, args)


@cache
def _user_by_id(staff: bool) -> Select:
    return _users_as_seen_by(staff).where(
        User.id == bindparam("user_id"), visible_user(bindparam("caller_id"))
    )


def user_by_id(caller: UserState, user_id: int) -> dict:
    """A user the caller may see (blocks, privacy), else 404."""
    row = db.session.execute(
        _user_by_id(caller.is_staff), {"caller_id": caller.id, "user_id": user_id}
    ).first()
    if row is None:
        raise NotFound()
    return user_of(row)


def public_profile(username: str, caller_id: int | None) -> User:
    """A public account by username, for anyone; blocks apply when the caller is signed in."""
    shown = discoverable_user(caller_id)
    if caller_id is not None:
        # Signed in, one previews one's own public profile as anyone else sees it.
        shown = or_(shown, and_(User.id == caller_id, discoverable_user(None)))
    user = db.first_or_404(select(User).where(func.lower(User.username) == username.lower(), shown))
    return user


@cache
def _origin() -> Select:
    return select(Location.lat, Location.long).where(Location.owner_id == bindparam("caller_id"))


@cache
def _candidates(long_ranges: int) -> Select:
    # The candidates carry what the answer shows of them: the page is picked from them here,
    # and a second statement for its users would cost more than these few columns.
    return (
        select(*FACE_COLUMNS, Location.lat, Location.long)
        .select_from(Location)
        .join(User, User.id == Location.owner_id)
        .where(
            box_condition(Location.lat, Location.long, long_ranges),
            discoverable_user(bindparam("caller_id")),
        )
        .order_by(rough_distance_order(Location.lat, Location.long))
        .limit(bindparam("candidates"))
    )


def nearby(caller: UserState, km: float, args: dict):
    """Discoverable users within `km` of the caller, nearest first, in whole km.

    SQL narrows the search to the bounding box (on the indexed lat/long columns), and the
    distance between the snapped positions (`accounts.nearby`) decides on those candidates:
    the radius and every answered distance are whole kilometres, rounded up.
    """
    with untransacted() as reader:
        origin = reader.execute(_origin(), {"caller_id": caller.id}).first()
        if origin is None:
            raise invalid("non_field_errors", NO_LOCATION)
        radius = coarse_km(km)
        lat, long = snapped(*origin)
        # Snapping moves either end by up to SNAP_KM: the box keeps everyone who may be in
        # reach.
        box = bounding_box(lat, long, radius + 2 * SNAP_KM)
        params = {
            "caller_id": caller.id,
            "candidates": MAX_NEARBY_CANDIDATES,
            **box.params(),
            **rough_distance_params(lat, long),
        }
        candidates = named_rows(reader.execute(_candidates(len(box.long_ranges)), params))
    measured = sorted(
        (
            (d, row)
            for row in candidates
            if (d := coarse_km(distance_km((lat, long), snapped(row.lat, row.long)))) <= radius
        ),
        key=_nearest_first,
    )
    page = measured[args["offset"] : args["offset"] + args["limit"]]
    return [_nearby_item(row, d) for d, row in page], array_headers(len(measured), args)


def _nearest_first(measured_row) -> tuple[int, int]:
    d, row = measured_row
    return d, row.id


def _nearby_item(row, km: int) -> dict:
    """NearbyUserSchema's dump of the user's row at `km`."""
    return {**face_of(row), "distance": float(km)}
