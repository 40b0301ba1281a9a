"""The account endpoints through `python wsgi.py` under eventlet (offline geocoder, scipy and all)."""

import json
import math
import urllib.error
import urllib.request

from geopy.distance import great_circle

from tests.accounts.helpers import update_user


def http(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"null"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), error.headers


def test_location_nearby_and_public_profile_on_the_real_server(app, live_server, alice, bob):
    base = f"{live_server}/api/accounts/account"
    update_user(app, bob, username="bob_live")
    status, body, _ = http(
        "POST", f"{base}/location/", {"lat": "41.2995", "long": "69.2401"}, alice.headers
    )
    assert status == 201, body
    assert (body["country"], body["city"]) == ("Uzbekistan", "Tashkent")
    status, _, _ = http("POST", f"{base}/location/", {"lat": 41.3111, "long": 69.2797}, bob.headers)
    assert status == 201
    status, body, headers = http("GET", f"{base}/location/5/", headers=alice.headers)
    assert status == 200
    # Whole km, rounded up, between the 0.01° grid cells (41.30, 69.24) and (41.31, 69.28).
    expected = math.ceil(great_circle((41.30, 69.24), (41.31, 69.28)).km)
    assert [(u["id"], u["distance"]) for u in body] == [(bob.id, expected)]
    assert headers["X-Total-Count"] == "1"
    status, body, _ = http("GET", f"{base}/profile/bob_live/")
    assert status == 200 and body["id"] == bob.id
