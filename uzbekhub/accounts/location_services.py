"""The caller's location (Accounts 17-19): coordinates plus reverse-geocoded names.

The geocoder runs before anything is written (no row lock is held while it waits), and its
failure only leaves the names empty: the coordinates are always kept.
"""

from sqlalchemy import delete, select

from uzbekhub.accounts.models import Location, User
from uzbekhub.common.db import flush_or_refuse
from uzbekhub.common.geocoding import reverse_geocode
from uzbekhub.errors import NotFound, invalid
from uzbekhub.extensions import db

ALREADY_SET = "You already have a location; update it with PUT."


def own_location(user: User) -> Location | None:
    return db.session.scalar(select(Location).where(Location.owner_id == user.id))


def create_location(user: User, lat: float, long: float) -> Location:
    if own_location(user) is not None:
        raise invalid("non_field_errors", ALREADY_SET)
    place = reverse_geocode(lat, long)
    location = Location(owner_id=user.id, lat=lat, long=long, **place.as_dict())
    db.session.add(location)
    flush_or_refuse("non_field_errors", ALREADY_SET)
    db.session.commit()
    return location


def update_location(user: User, lat: float, long: float) -> Location:
    """Move the location; it keeps its id."""
    location = own_location(user)
    if location is None:
        raise NotFound()
    place = reverse_geocode(lat, long)
    location.lat, location.long = lat, long
    for name, value in place.as_dict().items():
        setattr(location, name, value)
    db.session.commit()
    return location


def delete_location(user: User) -> None:
    if db.session.execute(delete(Location).where(Location.owner_id == user.id)).rowcount != 1:
        raise NotFound()
    db.session.commit()
