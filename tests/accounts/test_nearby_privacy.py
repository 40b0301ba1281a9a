"""Nearby search from an attacker's side: what it reveals of a user's position, and how
often one may measure (issue: a binary search on the radius from three points located a
user to the metre in 102 requests)."""

import pytest
from sqlalchemy import update

from tests.accounts.helpers import LOCATION, nearby_url, set_location
from tests.accounts.test_nearby import TASHKENT, at_distance
from uzbekhub.accounts.models import Location
from uzbekhub.extensions import db

# Two points 300 m apart in the same 0.01° cell (41.30, 69.24), and a third in the next cell.
SAME_CELL = [(41.2980, 69.2380), (41.3015, 69.2415)]
NEXT_CELL = (41.3120, 69.2400)
# Where the attacker measures from.
VANTAGE_POINTS = [
    at_distance(TASHKENT, km, bearing) for km, bearing in [(3, 0), (7, 120), (11, 240)]
]


def move(app, account, lat, long) -> None:
    with app.app_context():
        db.session.execute(
            update(Location).where(Location.owner_id == account.id).values(lat=lat, long=long)
        )
        db.session.commit()


def everything_seen(app, client, attacker, victim, radii) -> list:
    """What the attacker learns of the victim from every vantage point at every radius."""
    seen = []
    for point in VANTAGE_POINTS:
        move(app, attacker, *point)
        for radius in radii:
            answer = client.get(nearby_url(radius), headers=attacker.headers).get_json()
            seen.append([item["distance"] for item in answer if item["id"] == victim.id])
    return seen


FINE_RADII = ["1.5", "2.8", "2.81", "2.9", "3.05", "3.5", "6.3", "6.97", "7.4", "10.2", "11.7"]


def test_moving_within_a_grid_cell_changes_nothing_the_attacker_can_measure(
    app, client, alice, bob
):
    set_location(app, alice, *TASHKENT)
    set_location(app, bob, *SAME_CELL[0])
    before = everything_seen(app, client, alice, bob, FINE_RADII)
    move(app, bob, *SAME_CELL[1])
    assert everything_seen(app, client, alice, bob, FINE_RADII) == before
    assert any(before), "the victim is within reach of some of the searches"


def test_the_grid_cell_is_all_that_is_revealed(app, client, alice, bob):
    """The resolution the README documents: a move into the next cell may show."""
    set_location(app, alice, *TASHKENT)
    set_location(app, bob, *SAME_CELL[0])
    before = everything_seen(app, client, alice, bob, ["100"])
    move(app, bob, *NEXT_CELL)
    assert everything_seen(app, client, alice, bob, ["100"]) != before


def test_answered_distances_are_whole_kilometres(app, client, alice, bob):
    set_location(app, alice, *TASHKENT)
    set_location(app, bob, *at_distance(TASHKENT, 4.37))
    [item] = client.get(nearby_url("10"), headers=alice.headers).get_json()
    assert item["distance"] == int(item["distance"])


@pytest.mark.parametrize("radius", ["3.01", "3.5", "3.99"])
def test_a_fractional_radius_reads_as_the_next_whole_kilometre(app, client, alice, bob, radius):
    set_location(app, alice, *TASHKENT)
    set_location(app, bob, *at_distance(TASHKENT, 2.2))
    whole = client.get(nearby_url("4"), headers=alice.headers).get_json()
    assert client.get(nearby_url(radius), headers=alice.headers).get_json() == whole


# --- how often ------------------------------------------------------------------------------


@pytest.fixture
def budgets(app, throttled, monkeypatch):
    monkeypatch.setitem(app.config, "THROTTLE_LOCATION", "3/hour")
    monkeypatch.setitem(app.config, "THROTTLE_NEARBY", "4/hour")


def test_location_changes_are_throttled_per_user(client, alice, bob, budgets):
    points = [{"lat": 41.3 + i / 100, "long": 69.2} for i in range(4)]
    answers = [
        client.open(
            LOCATION,
            method=["POST", "PUT", "PATCH", "POST"][i],
            json=point,
            headers=alice.headers,
            environ_base={"REMOTE_ADDR": f"10.1.0.{i + 1}"},
        )
        for i, point in enumerate(points)
    ]
    assert [a.status_code for a in answers[:3]] == [201, 200, 200]
    assert answers[3].status_code == 429
    assert answers[3].get_json()["wait_seconds"] > 0
    assert client.post(LOCATION, json=points[0], headers=bob.headers).status_code == 201


def test_nearby_searches_are_throttled_per_user(app, client, alice, bob, budgets):
    set_location(app, alice, *TASHKENT)
    set_location(app, bob, *TASHKENT)
    answers = [
        client.get(
            nearby_url(5), headers=alice.headers, environ_base={"REMOTE_ADDR": f"10.2.0.{i}"}
        ).status_code
        for i in range(5)
    ]
    assert answers == [200, 200, 200, 200, 429]
    assert client.get(nearby_url(5), headers=bob.headers).status_code == 200


def test_the_default_budgets_are_the_documented_ones(app):
    assert app.config["THROTTLE_LOCATION"] == "20/hour"
    assert app.config["THROTTLE_NEARBY"] == "120/hour"
