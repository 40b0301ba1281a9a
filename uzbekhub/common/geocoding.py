"""Reverse geocoding behind one small interface: coordinates in, place names out.

Two implementations, chosen by GEOCODER:

- `offline` (the default): the nearest GeoNames place in the data bundled with
  the `reverse_geocode` package. No network; the data is loaded once, on first use.
- `nominatim`: a Nominatim server through geopy, with a timeout, a user agent and
  at most one request per GEOCODER_MIN_DELAY seconds (OSM's policy asks for 1 s).

`reverse_geocode()` never fails: whatever goes wrong yields an empty `Place`, so
the caller keeps the user's coordinates and simply has no names for them.
"""

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Protocol

from flask import current_app
from geopy.distance import great_circle
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim

log = logging.getLogger(__name__)

NAME_LENGTH = 100  # the place-name columns' size
# Farther than this from any town of the offline data is the open sea or a desert:
# naming the nearest town there would be a guess, so no names are given.
OFFLINE_REACH_KM = 100


@dataclass(frozen=True)
class Place:
    country: str | None = None
    city: str | None = None
    county: str | None = None
    neighbourhood: str | None = None

    @classmethod
    def of(cls, **names: str | None) -> "Place":
        """A place with blank names dropped and long ones cut to the column size."""
        clean = {k: (str(v).strip()[:NAME_LENGTH] or None) if v else None for k, v in names.items()}
        return cls(**clean)

    def as_dict(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Geocoder(Protocol):
    def reverse(self, lat: float, long: float) -> Place:
        """The place at the coordinates; may raise on failure."""


class OfflineGeocoder:
    """Nearest town in GeoNames' cities1000, shipped with the `reverse_geocode` package."""

    def __init__(self):
        self._data = None
        self._lock = threading.Lock()

    def _loaded(self):
        if self._data is None:
            with self._lock:
                if self._data is None:
                    import reverse_geocode  # imports scipy: paid on first use, not at start-up

                    self._data = reverse_geocode.GeocodeData()
        return self._data

    def reverse(self, lat: float, long: float) -> Place:
        found = self._loaded().query([(lat, long)])[0]
        if great_circle((lat, long), (found["latitude"], found["longitude"])).km > OFFLINE_REACH_KM:
            return Place()
        return Place.of(
            country=found.get("country"), city=found.get("city"), county=found.get("county")
        )


def _first(address: Mapping, *keys: str) -> str | None:
    return next((address[k] for k in keys if address.get(k)), None)


class NominatimGeocoder:
    """A Nominatim server (OSM's public one by default) through geopy."""

    def __init__(self, domain: str, user_agent: str, timeout: float, min_delay: float):
        scheme = "https"
        if "://" in domain:
            scheme, domain = domain.split("://", 1)
        self._nominatim = Nominatim(
            domain=domain.rstrip("/"), scheme=scheme, user_agent=user_agent, timeout=timeout
        )
        # No retries: the user is waiting, and a failure only costs the place names.
        self._reverse = RateLimiter(
            self._nominatim.reverse,
            min_delay_seconds=min_delay,
            max_retries=0,
            swallow_exceptions=False,
        )

    def reverse(self, lat: float, long: float) -> Place:
        location = self._reverse((lat, long), exactly_one=True, language="en", addressdetails=True)
        if location is None:
            return Place()
        address = location.raw.get("address") or {}
        return Place.of(
            country=_first(address, "country"),
            city=_first(address, "city", "town", "village", "municipality", "hamlet"),
            county=_first(address, "county", "city_district", "district", "state_district"),
            neighbourhood=_first(address, "neighbourhood", "suburb", "quarter", "residential"),
        )


def build_geocoder(config: Mapping) -> Geocoder:
    if config["GEOCODER"] == "nominatim":
        return NominatimGeocoder(
            domain=config["NOMINATIM_DOMAIN"],
            user_agent=config["GEOCODER_USER_AGENT"],
            timeout=config["GEOCODER_TIMEOUT"],
            min_delay=config["GEOCODER_MIN_DELAY"],
        )
    return OfflineGeocoder()


_build_lock = threading.Lock()
_SETTINGS = (
    "GEOCODER",
    "NOMINATIM_DOMAIN",
    "GEOCODER_USER_AGENT",
    "GEOCODER_TIMEOUT",
    "GEOCODER_MIN_DELAY",
)


def current_geocoder() -> Geocoder:
    """The app's geocoder, built once per setting (one rate limiter per Nominatim server)."""
    key = tuple(current_app.config[name] for name in _SETTINGS)
    cache = current_app.extensions.setdefault("geocoders", {})
    if key not in cache:
        with _build_lock:
            if key not in cache:
                cache[key] = build_geocoder(current_app.config)
    return cache[key]


def reverse_geocode(lat: float, long: float, geocoder: Geocoder | None = None) -> Place:
    """Place names for the coordinates, or an empty Place when the geocoder fails."""
    try:
        return (geocoder or current_geocoder()).reverse(lat, long)
    except Exception:
        log.warning("reverse geocoding of (%s, %s) failed", lat, long, exc_info=True)
        return Place()
