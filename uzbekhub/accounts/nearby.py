"""Geometry of the nearby search: a bounding box for SQL, coarse distances for the answer.

What the search reveals is coarse on purpose (a binary search on an exact radius from
three places located a user to the metre): positions are snapped to a grid of
GRID_DEGREES (0.01°: 1.1 km north-south, at most 1.1 km east-west) and distances
between snapped positions are rounded up to whole kilometres, as is the radius. So a
user's position is revealed at most to its grid cell, wherever and however often the
searcher measures from.

The box (after J. P. Matuschek, "Finding Points Within a Distance of a
Latitude/Longitude Using Bounding Coordinates") contains every point within the
distance on the sphere geopy's great-circle distance uses. It covers every
longitude when a pole is within reach and splits in two across the 180th meridian.
"""

import math
from dataclasses import dataclass

from geopy.distance import EARTH_RADIUS, great_circle
from sqlalchemy import ColumnElement, and_, bindparam, case, func, or_

# Keeps points that lie exactly on the box's edge inside it despite rounding.
EDGE_MARGIN_DEGREES = 1e-9
GRID_DEGREES = 0.01
# The farthest a position moves when snapped (half a cell's diagonal at the equator), km.
SNAP_KM = 0.8


@dataclass(frozen=True)
class BoundingBox:
    lat_min: float
    lat_max: float
    long_ranges: tuple[tuple[float, float], ...]

    def params(self) -> dict[str, float]:
        """The values of `box_condition`'s bound parameters for this box."""
        values = {"lat_min": self.lat_min, "lat_max": self.lat_max}
        for i, (low, high) in enumerate(self.long_ranges):
            values[f"long_min_{i}"], values[f"long_max_{i}"] = low, high
        return values


def box_condition(lat_col, long_col, long_ranges: int) -> ColumnElement[bool]:
    """SQL: the columns lie in a box of `long_ranges` longitude ranges, given by the box's
    `params()` (a range scan on the (lat, long) index); built once per number of ranges."""
    return and_(
        lat_col.between(bindparam("lat_min"), bindparam("lat_max")),
        or_(
            *(
                long_col.between(bindparam(f"long_min_{i}"), bindparam(f"long_max_{i}"))
                for i in range(long_ranges)
            )
        ),
    )


def bounding_box(lat: float, long: float, km: float) -> BoundingBox:
    angle = km / EARTH_RADIUS
    lat_r = math.radians(lat)
    low, high = lat_r - angle, lat_r + angle
    if low <= -math.pi / 2 or high >= math.pi / 2:
        # A pole is within reach: every longitude is.
        ranges = ((-180.0, 180.0),)
        low, high = max(low, -math.pi / 2), min(high, math.pi / 2)
    else:
        spread = math.degrees(math.asin(math.sin(angle) / math.cos(lat_r)))
        ranges = _wrap(long - spread - EDGE_MARGIN_DEGREES, long + spread + EDGE_MARGIN_DEGREES)
    return BoundingBox(
        math.degrees(low) - EDGE_MARGIN_DEGREES,
        math.degrees(high) + EDGE_MARGIN_DEGREES,
        ranges,
    )


def _wrap(west: float, east: float) -> tuple[tuple[float, float], ...]:
    """A longitude range, split in two where it crosses the 180th meridian."""
    if east - west >= 360:
        return ((-180.0, 180.0),)
    if west < -180:
        return ((west + 360, 180.0), (-180.0, east))
    if east > 180:
        return ((west, 180.0), (-180.0, east - 360))
    return ((west, east),)


def rough_distance_order(lat_col, long_col) -> ColumnElement:
    """SQL: a cheap planar stand-in for the distance from the origin given by
    `rough_distance_params`, only to pick the nearest candidates."""
    d_lat = lat_col - bindparam("origin_lat")
    d_long_raw = func.abs(long_col - bindparam("origin_long"))
    d_long = case((d_long_raw > 180, 360 - d_long_raw), else_=d_long_raw)
    return d_lat * d_lat + d_long * d_long * bindparam("long_scale_squared")


def rough_distance_params(lat: float, long: float) -> dict[str, float]:
    scale = math.cos(math.radians(lat))
    return {"origin_lat": lat, "origin_long": long, "long_scale_squared": scale * scale}


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return great_circle(a, b).km


def snapped(lat: float, long: float) -> tuple[float, float]:
    """The centre of the position's grid cell (all that the search measures from or to)."""
    return (
        min(90.0, max(-90.0, round(lat / GRID_DEGREES) * GRID_DEGREES)),
        round(long / GRID_DEGREES) * GRID_DEGREES,
    )


def coarse_km(km: float) -> int:
    """Whole kilometres, rounded up; at least 1 (the same cell is "within 1 km")."""
    return max(1, math.ceil(km - 1e-9))
