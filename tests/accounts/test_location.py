"""Accounts 17-19: the caller's location, reverse geocoded."""

import pytest
from sqlalchemy import select

from tests.accounts.fake_nominatim import FakeNominatim
from tests.accounts.helpers import LOCATION, PROFILE, set_location
from tests.support.answers import field_errors
from uzbekhub.accounts import location_services
from uzbekhub.accounts.models import Location
from uzbekhub.common.geocoding import Place
from uzbekhub.extensions import db

LOCATION_KEYS = [
    "id",
    "owner",
    "lat",
    "long",
    "country",
    "city",
    "county",
    "neighbourhood",
    "created_at",
    "update_at",
]


def stored_location(app, owner_id):
    with app.app_context():
        row = db.session.scalar(select(Location).where(Location.owner_id == owner_id))
        if row is not None:
            db.session.expunge(row)
        return row


@pytest.fixture
def nominatim(app, monkeypatch):
    server = FakeNominatim().start()
    monkeypatch.setitem(app.config, "GEOCODER", "nominatim")
    monkeypatch.setitem(app.config, "NOMINATIM_DOMAIN", server.url)
    monkeypatch.setitem(app.config, "GEOCODER_MIN_DELAY", 0)
    monkeypatch.setitem(app.config, "GEOCODER_TIMEOUT", 0.5)
    yield server
    server.stop()


def test_create_answers_the_spec_shape_with_tashkent_named(client, alice):
    response = client.post(
        LOCATION, json={"lat": "41.2995", "long": "69.2401"}, headers=alice.headers
    )
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == LOCATION_KEYS
    assert body["owner"] == alice.id
    assert (body["lat"], body["long"]) == ("41.2995", "69.2401")
    assert (body["country"], body["city"]) == ("Uzbekistan", "Tashkent")
    assert body["created_at"].endswith("Z") and body["update_at"].endswith("Z")


@pytest.mark.parametrize(
    "lat, long, answered",
    [
        (41.2995, 69.2401, ("41.2995", "69.2401")),
        ("41.2995", "69.2401", ("41.2995", "69.2401")),
        (41, 69, ("41.0", "69.0")),
        (" -33.8688 ", "151.2093", ("-33.8688", "151.2093")),
        (90, -180, ("90.0", "-180.0")),
        ("41.12345678", "69.1", ("41.123457", "69.1")),
    ],
)
def test_coordinates_are_accepted_as_numbers_or_strings_and_answered_as_strings(
    client, alice, lat, long, answered
):
    response = client.post(LOCATION, json={"lat": lat, "long": long}, headers=alice.headers)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["lat"], body["long"]) == answered


def test_create_accepts_a_form_body(client, alice):
    response = client.post(
        LOCATION,
        data={"lat": "41.2995", "long": "69.2401"},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"lat": 91, "long": 69}, "lat"),
        ({"lat": -90.0001, "long": 69}, "lat"),
        ({"lat": 41, "long": 181}, "long"),
        ({"lat": 41, "long": "-180.5"}, "long"),
        ({"lat": "north", "long": 69}, "lat"),
        ({"lat": "NaN", "long": 69}, "lat"),
        ({"lat": 41, "long": "Infinity"}, "long"),
        ({"lat": True, "long": 69}, "lat"),
        ({"lat": [41], "long": 69}, "lat"),
        ({"lat": None, "long": 69}, "lat"),
        ({"lat": "1e400", "long": 69}, "lat"),
        ({"long": 69}, "lat"),
        ({"lat": 41}, "long"),
        ({"lat": 41, "long": 69, "city": "Paris"}, "city"),
    ],
)
def test_bad_coordinates_are_400_on_the_field(app, client, alice, body, field):
    response = client.post(LOCATION, json=body, headers=alice.headers)
    assert field in field_errors(response)
    assert stored_location(app, alice.id) is None


def test_a_second_post_moves_the_location_and_keeps_its_id(app, client, alice):
    created = client.post(LOCATION, json={"lat": 51.5072, "long": -0.1276}, headers=alice.headers)
    assert created.status_code == 201
    response = client.post(
        LOCATION, json={"lat": "41.2995", "long": "69.2401"}, headers=alice.headers
    )
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == LOCATION_KEYS
    assert body["id"] == created.get_json()["id"]
    assert (body["lat"], body["long"]) == ("41.2995", "69.2401")
    assert (body["country"], body["city"]) == ("Uzbekistan", "Tashkent")
    assert stored_location(app, alice.id).lat == 41.2995


def test_a_post_after_a_delete_creates_again(client, alice):
    client.post(LOCATION, json={"lat": 41.3, "long": 69.2}, headers=alice.headers)
    client.delete(LOCATION, headers=alice.headers)
    response = client.post(LOCATION, json={"lat": 40.0, "long": 70.0}, headers=alice.headers)
    assert response.status_code == 201


def test_a_second_post_validates_like_the_first(app, client, alice):
    client.post(LOCATION, json={"lat": 41.3, "long": 69.2}, headers=alice.headers)
    response = client.post(LOCATION, json={"lat": 91, "long": 0}, headers=alice.headers)
    assert "lat" in field_errors(response)
    assert stored_location(app, alice.id).lat == 41.3


def test_patch_moves_one_coordinate_and_keeps_the_other(app, client, alice):
    created = client.post(LOCATION, json={"lat": 41.2995, "long": 69.2401}, headers=alice.headers)
    response = client.patch(LOCATION, json={"lat": "41.3111"}, headers=alice.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == created.get_json()["id"]
    assert (body["lat"], body["long"]) == ("41.3111", "69.2401")
    assert body["city"] == "Tashkent"
    body = client.patch(LOCATION, json={"long": -0.1276, "lat": 51.5072}, headers=alice.headers)
    assert body.get_json()["city"] == "London"
    assert stored_location(app, alice.id).long == -0.1276


def test_patch_validates_and_needs_a_location(app, client, alice):
    assert client.patch(LOCATION, json={"lat": 1}, headers=alice.headers).status_code == 404
    client.post(LOCATION, json={"lat": 41.3, "long": 69.2}, headers=alice.headers)
    assert "long" in field_errors(
        client.patch(LOCATION, json={"long": "east"}, headers=alice.headers)
    )
    assert "city" in field_errors(
        client.patch(LOCATION, json={"city": "Paris"}, headers=alice.headers)
    )
    assert client.patch(LOCATION, json={"lat": 1}).status_code == 401
    assert stored_location(app, alice.id).lat == 41.3


def test_update_keeps_the_id_and_geocodes_again(client, alice):
    created = client.post(LOCATION, json={"lat": 51.5072, "long": -0.1276}, headers=alice.headers)
    assert created.get_json()["city"] == "London"
    response = client.put(
        LOCATION, json={"lat": "41.3111", "long": "69.2797"}, headers=alice.headers
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == created.get_json()["id"]
    assert (body["lat"], body["long"]) == ("41.3111", "69.2797")
    assert (body["country"], body["city"]) == ("Uzbekistan", "Tashkent")


def test_update_without_a_location_is_404(client, alice):
    response = client.put(LOCATION, json={"lat": 41.3, "long": 69.2}, headers=alice.headers)
    assert response.status_code == 404


def test_update_validates_like_create(client, alice):
    client.post(LOCATION, json={"lat": 41.3, "long": 69.2}, headers=alice.headers)
    assert "lat" in field_errors(
        client.put(LOCATION, json={"lat": 91, "long": 0}, headers=alice.headers)
    )


def test_delete_removes_the_location(app, client, alice):
    client.post(LOCATION, json={"lat": 41.3, "long": 69.2}, headers=alice.headers)
    response = client.delete(LOCATION, headers=alice.headers)
    assert response.status_code == 204
    assert stored_location(app, alice.id) is None
    assert client.get(PROFILE, headers=alice.headers).get_json()["location"] is None
    assert client.delete(LOCATION, headers=alice.headers).status_code == 404


def test_each_user_changes_only_their_own_location(app, client, alice, bob):
    set_location(app, alice, 41.3, 69.2)
    assert client.put(LOCATION, json={"lat": 1, "long": 1}, headers=bob.headers).status_code == 404
    assert client.delete(LOCATION, headers=bob.headers).status_code == 404
    assert stored_location(app, alice.id).lat == 41.3


def test_the_profile_shows_the_own_location(client, alice):
    client.post(LOCATION, json={"lat": 41.2995, "long": 69.2401}, headers=alice.headers)
    location = client.get(PROFILE, headers=alice.headers).get_json()["location"]
    assert (location["lat"], location["city"]) == ("41.2995", "Tashkent")


def test_a_failing_geocoder_keeps_the_coordinates(app, client, alice, monkeypatch):
    class Broken:
        def reverse(self, lat, long):
            raise OSError("geocoder down")

    monkeypatch.setattr("uzbekhub.common.geocoding.current_geocoder", lambda: Broken())
    response = client.post(LOCATION, json={"lat": 41.2995, "long": 69.2401}, headers=alice.headers)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["lat"], body["long"]) == ("41.2995", "69.2401")
    assert body["country"] is None and body["city"] is None
    assert stored_location(app, alice.id).lat == 41.2995


def test_updating_with_a_failing_geocoder_clears_stale_names(app, client, alice, monkeypatch):
    client.post(LOCATION, json={"lat": 41.2995, "long": 69.2401}, headers=alice.headers)
    monkeypatch.setattr(
        "uzbekhub.accounts.location_services.reverse_geocode", lambda lat, long: Place()
    )
    body = client.put(LOCATION, json={"lat": 51.5, "long": -0.12}, headers=alice.headers).get_json()
    assert body["lat"] == "51.5" and body["city"] is None


def test_locations_are_named_by_nominatim_when_configured(client, alice, nominatim):
    response = client.post(LOCATION, json={"lat": 41.2995, "long": 69.2401}, headers=alice.headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["county"] == "Yunusabad District"
    assert body["neighbourhood"] == "Chilonzor"
    assert len(nominatim.requests) == 1
    assert nominatim.requests[0]["headers"]["User-Agent"] == "uzbekhub"


def test_a_slow_nominatim_does_not_lose_the_coordinates(app, client, alice, nominatim):
    nominatim.delay = 2.0
    response = client.post(LOCATION, json={"lat": 41.2995, "long": 69.2401}, headers=alice.headers)
    assert response.status_code == 201
    assert response.get_json()["city"] is None
    assert stored_location(app, alice.id).long == 69.2401


def test_location_needs_a_token(client):
    assert client.post(LOCATION, json={"lat": 1, "long": 1}).status_code == 401
    assert client.put(LOCATION, json={"lat": 1, "long": 1}).status_code == 401
    assert client.patch(LOCATION, json={"lat": 1}).status_code == 401
    assert client.delete(LOCATION).status_code == 401


def test_location_has_no_get(client, alice):
    assert client.get(LOCATION, headers=alice.headers).status_code == 405


def test_two_racing_creates_leave_one_location_moved_by_the_second(app, client, alice, monkeypatch):
    """The second request passed the existence check before the first wrote: the unique owner
    refuses its row, and it moves the first one's instead."""
    created = client.post(LOCATION, json={"lat": 41.3, "long": 69.2}, headers=alice.headers)
    real_own_location = location_services.own_location
    looks = []

    def missed_once(user):
        looks.append(user.id)
        return None if len(looks) == 1 else real_own_location(user)

    monkeypatch.setattr(location_services, "own_location", missed_once)
    response = client.post(LOCATION, json={"lat": 40.0, "long": 70.0}, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["id"] == created.get_json()["id"]
    assert len(looks) == 2
    assert stored_location(app, alice.id).lat == 40.0


def test_the_openapi_document_names_both_answers_of_post_and_the_patch(client):
    operations = client.get("/openapi.json").get_json()["paths"][LOCATION]
    assert {"200", "201"} <= set(operations["post"]["responses"])
    assert operations["patch"]["requestBody"]["required"] is False
