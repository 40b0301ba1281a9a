"""The caller's location (Accounts 17-19): coordinates plus reverse-geocoded names.

The geocoder runs before anything is written (no row lock is held while it waits), and its
failure only leaves the names empty: the coordinates are always kept.
"""

from sqlalchemy import delete, select
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import Location, User
from uzbekhub.common.db import unique_savepoint
from uzbekhub.common.geocoding import reverse_geocode
from uzbekhub.extensions import db


def own_location(caller: User) -> Location | None:
    return db.session.scalar(select(Location).where(Location.owner_id == caller.id))


def set_location(caller: User, lat: float, long: float) -> tuple[Location, bool]:
    """Put the caller at (lat, long): their location moves when they have one (it keeps its
    id), else it is created. True when it was created."""
    place = reverse_geocode(lat, long).as_dict()
    location = own_location(caller)
    if location is None:
        with unique_savepoint() as saved:
            location = Location(owner_id=caller.id, lat=lat, long=long, **place)
            db.session.add(location)
        if not saved.refused:
            db.session.commit()
            return location, True
        # A concurrent request created it meanwhile: this one moves it.
        location = own_location(caller)
    _move(location, lat, long, place)
    return location, False


def update_location(caller: User, changes: dict) -> Location:
    """Move the location (it keeps its id); a coordinate left out stays where it was."""
    location = own_location(caller)
    if location is None:
        raise NotFound()
    lat, long = changes.get("lat", location.lat), changes.get("long", location.long)
    _move(location, lat, long, reverse_geocode(lat, long).as_dict())
    return location


def _move(location: Location, lat: float, long: float, place: dict) -> None:
    location.lat, location.long = lat, long
    for name, value in place.items():
        setattr(location, name, value)
    db.session.commit()


def delete_location(caller: User) -> None:
    if db.session.execute(delete(Location).where(Location.owner_id == caller.id)).rowcount != 1:
        raise NotFound()
    db.session.commit()
