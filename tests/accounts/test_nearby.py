"""Accounts 20: nearby search, and the bounding box it rests on."""

import random

import pytest
from geopy.distance import great_circle

from tests.accounts.helpers import nearby_url, set_location, update_user
from tests.support.answers import field_errors
from tests.support.factories import add_contact, block
from uzbekhub.accounts.nearby import bounding_box

NEARBY_KEYS = ["id", "first_name", "last_name", "username", "bio", "profile_picture", "distance"]
TASHKENT = (41.2995, 69.2401)


def at_distance(origin, km, bearing=90.0):
    point = great_circle(kilometers=km).destination(origin, bearing)
    return point.latitude, point.longitude


def found(response) -> list[tuple[int, float]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(item["id"], item["distance"]) for item in response.get_json()]


def assert_about(result: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    """The users in this order, each at a whole number of km within 2 km of the truth
    (positions are snapped to a 0.01° grid, distances rounded up: accounts/nearby.py)."""
    assert [i for i, _ in result] == [i for i, _ in expected], (result, expected)
    for (_, shown), (_, true) in zip(result, expected, strict=True):
        assert shown == int(shown) and abs(shown - true) < 2, (shown, true)


@pytest.fixture
def placed(app, make_account):
    """Make a user at `km` from `origin` (bearing east unless told)."""

    def place(origin=TASHKENT, km=0.0, bearing=90.0, **fields):
        account = make_account(**fields)
        set_location(app, account, *at_distance(origin, km, bearing))
        return account

    return place


def test_nearby_answers_the_spec_shape_nearest_first(app, client, alice, placed):
    set_location(app, alice, *TASHKENT)
    far = placed(km=9.2, first_name="Far")
    near = placed(km=1.0, bearing=200, first_name="Near")
    middle = placed(km=5.5, bearing=10)
    response = client.get(nearby_url("10.0"), headers=alice.headers)
    assert_about(found(response), [(near.id, 1.0), (middle.id, 5.5), (far.id, 9.2)])
    first = response.get_json()[0]
    assert list(first) == NEARBY_KEYS
    assert first["first_name"] == "Near"
    assert response.headers["X-Total-Count"] == "3"


def test_nearby_leaves_out_users_beyond_the_distance(app, client, alice, placed):
    set_location(app, alice, *TASHKENT)
    inside = placed(km=2)
    placed(km=8)
    placed(km=50)
    assert [i for i, _ in found(client.get(nearby_url(5), headers=alice.headers))] == [inside.id]


def test_nearby_never_lists_the_caller_or_users_without_location(app, client, alice, make_account):
    set_location(app, alice, *TASHKENT)
    make_account()
    assert found(client.get(nearby_url(100), headers=alice.headers)) == []


def test_nearby_leaves_private_users_out_even_for_their_contacts(app, client, alice, placed):
    set_location(app, alice, *TASHKENT)
    private = placed(km=1)
    update_user(app, private, is_private=True)
    add_contact(app, private, alice)
    assert found(client.get(nearby_url(10), headers=alice.headers)) == []


def test_nearby_leaves_unverified_users_out(app, client, alice, placed):
    set_location(app, alice, *TASHKENT)
    update_user(app, placed(km=1), is_active=False)
    assert found(client.get(nearby_url(10), headers=alice.headers)) == []


@pytest.mark.parametrize("direction", ["caller_blocked", "caller_was_blocked"])
def test_nearby_leaves_blocked_users_out_both_ways(app, client, alice, placed, direction):
    set_location(app, alice, *TASHKENT)
    other = placed(km=1)
    if direction == "caller_blocked":
        block(app, alice, other)
    else:
        block(app, other, alice)
    assert found(client.get(nearby_url(10), headers=alice.headers)) == []
    assert found(client.get(nearby_url(10), headers=other.headers)) == []


def test_nearby_never_reveals_coordinates(app, client, alice, placed):
    set_location(app, alice, *TASHKENT)
    other = placed(km=1.234)
    lat, long = at_distance(TASHKENT, 1.234)
    text = client.get(nearby_url(5), headers=alice.headers).get_data(as_text=True)
    assert str(other.id) in text
    assert f"{lat:.4f}" not in text and f"{long:.4f}" not in text


def test_nearby_without_an_own_location_is_400(client, alice):
    response = client.get(nearby_url(5), headers=alice.headers)
    assert "non_field_errors" in field_errors(response)


@pytest.mark.parametrize("distance", ["5", "5.0", "0.5", ".5", "5.", "100", "100.0", "00042"])
def test_distance_with_or_without_a_decimal_point_is_accepted(app, client, alice, distance):
    set_location(app, alice, *TASHKENT)
    assert client.get(nearby_url(distance), headers=alice.headers).status_code == 200


@pytest.mark.parametrize(
    "distance",
    [
        "0",
        "0.0",
        "-5",
        "abc",
        "1e2",
        "100.01",
        "101",
        "99999999999999999999",
        "nan",
        "inf",
        "5,0",
        "5.0.0",
        "+5",
        "%205",
        "0x10",
        ".",
        "5km",
    ],
)
def test_bad_distances_are_400_on_distance(app, client, alice, distance):
    set_location(app, alice, *TASHKENT)
    response = client.get(nearby_url(distance), headers=alice.headers)
    assert "distance" in field_errors(response)


def test_nearby_needs_a_token(client):
    assert client.get(nearby_url(5)).status_code == 401


def test_distance_is_whole_km_rounded_up(app, client, alice, placed):
    set_location(app, alice, *TASHKENT)
    placed(km=3.23456)
    [(_, km)] = found(client.get(nearby_url(10), headers=alice.headers))
    assert km in (2.0, 3.0, 4.0, 5.0)


def test_nearby_is_bounded_and_paginated(app, client, alice, placed):
    set_location(app, alice, *TASHKENT)
    people = [placed(km=5 * k + 2).id for k in range(6)]
    response = client.get(
        nearby_url(50), query_string={"limit": 2, "offset": 2}, headers=alice.headers
    )
    assert [i for i, _ in found(response)] == people[2:4]
    assert response.headers["X-Total-Count"] == "6"
    link = response.headers["Link"]
    assert 'rel="next"' in link and 'rel="prev"' in link and "offset=4" in link
    last = client.get(nearby_url(50), query_string={"limit": 2, "offset": 4}, headers=alice.headers)
    assert 'rel="next"' not in last.headers["Link"]


def test_the_candidate_cap_keeps_the_nearest(app, client, alice, placed, monkeypatch):
    """Beyond the cap, SQL keeps the nearest candidates, so the answer's head is still right."""
    monkeypatch.setattr("uzbekhub.accounts.discovery_services.MAX_NEARBY_CANDIDATES", 3)
    set_location(app, alice, *TASHKENT)
    by_distance = {k: placed(km=5 * k, bearing=37 * k).id for k in (9, 1, 7, 3, 5, 2)}
    response = client.get(nearby_url(60), headers=alice.headers)
    assert [i for i, _ in found(response)] == [by_distance[1], by_distance[2], by_distance[3]]


# --- the 180th meridian and the poles -----------------------------------------------------------------


def test_nearby_reaches_across_the_180th_meridian(app, client, alice, placed):
    origin = (-16.5, 179.98)
    set_location(app, alice, *origin)
    across = placed(origin=origin, km=8, bearing=90)  # lands at a negative longitude
    behind = placed(origin=origin, km=3, bearing=270)
    placed(origin=origin, km=30, bearing=90)
    result = found(client.get(nearby_url(10), headers=alice.headers))
    assert_about(result, [(behind.id, 3.0), (across.id, 8.0)])


def test_nearby_reaches_across_the_meridian_from_the_west(app, client, alice, placed):
    origin = (10.0, -179.99)
    set_location(app, alice, *origin)
    across = placed(origin=origin, km=5, bearing=280)
    assert_about(found(client.get(nearby_url(10), headers=alice.headers)), [(across.id, 5.0)])


@pytest.mark.parametrize("pole_lat", [89.97, -89.97])
def test_nearby_reaches_over_the_pole(app, client, alice, placed, pole_lat):
    origin = (pole_lat, 0.0)
    set_location(app, alice, *origin)
    toward_pole = 0 if pole_lat > 0 else 180
    over = placed(origin=origin, km=6, bearing=toward_pole)  # the other side of the pole
    sideways = placed(origin=origin, km=2, bearing=90)
    result = found(client.get(nearby_url(10), headers=alice.headers))
    assert_about(result, [(sideways.id, 2.0), (over.id, 6.0)])


def test_bounding_box_holds_every_point_within_reach():
    rng = random.Random(20240204)
    origins = [
        TASHKENT,
        (0.0, 0.0),
        (0.0, 179.999),
        (0.0, -179.999),
        (89.99, 45.0),
        (-89.99, -120.0),
        (89.0, 179.5),
        (-60.0, -179.9),
        (89.1, 0.0),  # 100 km reaches the pole from here
    ]
    for origin in origins:
        for km in (0.001, 1, 25, 100):
            box = bounding_box(*origin, km)
            for _ in range(300):
                lat, long = at_distance(origin, km * rng.random() ** 0.5, rng.uniform(0, 360))
                assert box.lat_min <= lat <= box.lat_max, (origin, km, lat)
                assert any(lo <= long <= hi for lo, hi in box.long_ranges), (origin, km, long)


def test_bounding_box_is_tight_away_from_poles_and_meridian():
    box = bounding_box(*TASHKENT, 10)
    assert len(box.long_ranges) == 1
    ((west, east),) = box.long_ranges
    assert 0.17 < box.lat_max - box.lat_min < 0.19  # 20 km of latitude
    assert 0.23 < east - west < 0.25  # 20 km of longitude at 41° N


def test_bounding_box_splits_at_the_meridian_and_opens_at_the_pole():
    assert len(bounding_box(0, 179.99, 10).long_ranges) == 2
    assert len(bounding_box(0, -179.99, 10).long_ranges) == 2
    assert bounding_box(89.95, 10, 10).long_ranges == ((-180.0, 180.0),)
    assert bounding_box(89.95, 10, 10).lat_max >= 90
