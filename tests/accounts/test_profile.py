"""Accounts 7-9: the caller's profile, its edits, and the username check."""

import pytest

from tests.accounts.helpers import (
    CHECK_USERNAME,
    PROFILE,
    REFRESH,
    SIGNIN,
    set_location,
    set_status,
    update_user,
    upload,
)
from tests.support.answers import field_errors
from tests.support.images import image_bytes

PROFILE_KEYS = [
    "id",
    "first_name",
    "last_name",
    "email",
    "username",
    "bio",
    "profile_picture",
    "phone",
    "is_private",
    "is_active",
    "is_staff",
    "date_joined",
    "last_login",
    "last_online",
    "location",
    "status",
]


# --- GET -----------------------------------------------------------------------------------------


def test_profile_answers_every_field_of_the_spec_in_order(client, alice):
    body = client.get(PROFILE, headers=alice.headers).get_json()
    assert list(body) == PROFILE_KEYS
    assert body["id"] == alice.id
    assert body["email"] == alice.email
    assert body["first_name"] == "Alice"
    assert body["location"] is None and body["status"] is None
    assert body["date_joined"].endswith("Z")


def test_profile_nests_the_own_location_with_coordinates_and_the_status(app, client, alice):
    set_location(app, alice, 41.2995, 69.2401, country="Uzbekistan", city="Tashkent")
    set_status(app, alice, "Busy working")
    body = client.get(PROFILE, headers=alice.headers).get_json()
    location = body["location"]
    assert list(location) == [
        "id",
        "lat",
        "long",
        "country",
        "city",
        "county",
        "neighbourhood",
        "created_at",
        "update_at",
    ]
    assert (location["lat"], location["long"]) == ("41.2995", "69.2401")
    assert location["country"] == "Uzbekistan" and location["city"] == "Tashkent"
    assert list(body["status"]) == ["id", "content", "created_at", "updated_at"]
    assert body["status"]["content"] == "Busy working"


def test_profile_needs_a_token(client):
    response = client.get(PROFILE)
    assert response.status_code == 401
    assert set(response.get_json()) == {"detail"}


# --- PATCH ---------------------------------------------------------------------------------------


def test_patch_json_updates_the_plain_fields(client, alice):
    response = client.patch(
        PROFILE,
        json={
            "first_name": "  Alisa ",
            "last_name": "Karimova",
            "bio": "Designer",
            "phone": "+998 90 123-45-67",
            "is_private": True,
        },
        headers=alice.headers,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == PROFILE_KEYS
    assert body["first_name"] == "Alisa"
    assert body["bio"] == "Designer"
    assert body["phone"] == "+998901234567"
    assert body["is_private"] is True
    again = client.get(PROFILE, headers=alice.headers).get_json()
    assert again["phone"] == "+998901234567" and again["is_private"] is True


def test_patch_multipart_updates_fields_and_the_picture(client, alice):
    response = client.patch(
        PROFILE,
        data={
            "first_name": "Alisa",
            "is_private": "true",
            "profile_picture": upload(image_bytes()),
        },
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["first_name"] == "Alisa" and body["is_private"] is True
    url = body["profile_picture"]
    assert url.startswith("http://localhost/media/profile_pictures/") and url.endswith(".png")
    served = client.get(url.removeprefix("http://localhost"))
    assert served.status_code == 200
    assert served.mimetype == "image/png"


def test_empty_patch_changes_nothing(client, alice):
    before = client.get(PROFILE, headers=alice.headers).get_json()
    response = client.patch(PROFILE, json={}, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json() == before


def test_phone_can_be_cleared(client, alice):
    client.patch(PROFILE, json={"phone": "+998901234567"}, headers=alice.headers)
    for cleared in ("", None):
        response = client.patch(PROFILE, json={"phone": cleared}, headers=alice.headers)
        assert response.status_code == 200
        assert response.get_json()["phone"] is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "other@example.com"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "+12345"}, "phone"),
        ({"phone": "+1234567890123456"}, "phone"),
        ({"first_name": "x" * 151}, "first_name"),
        ({"last_name": 42}, "last_name"),
        ({"bio": "x" * 501}, "bio"),
        ({"is_private": "perhaps"}, "is_private"),
        ({"password": "short"}, "password"),
        ({"profile_picture": "not-a-file"}, "profile_picture"),
        ({"is_staff": True}, "is_staff"),
        ({"is_active": False}, "is_active"),
    ],
)
def test_bad_patch_bodies_are_400_on_the_field(client, alice, body, field):
    response = client.patch(PROFILE, json=body, headers=alice.headers)
    assert field in field_errors(response)


def test_a_profile_that_is_not_an_object_is_400(client, alice):
    response = client.patch(PROFILE, json=["first_name"], headers=alice.headers)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "username",
    [
        "abc",
        "a" * 26,
        "_alice",
        "alice_",
        ".alice",
        "alice.",
        "al..ice",
        "al._ice",
        "al ice",
        "алиса",
        "al-ice",
        "",
    ],
)
def test_patch_refuses_usernames_against_the_rule(client, alice, username):
    response = client.patch(PROFILE, json={"username": username}, headers=alice.headers)
    assert "username" in field_errors(response)


@pytest.mark.parametrize("username", ["alic", "a" * 25, "al.ice_k", "A1_b.c2", "  alice_new  "])
def test_patch_accepts_usernames_within_the_rule(client, alice, username):
    response = client.patch(PROFILE, json={"username": username}, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["username"] == username.strip()


def test_username_taken_in_another_case_is_400(app, client, alice, bob):
    update_user(app, bob, username="Bobby_Tables")
    response = client.patch(PROFILE, json={"username": "bobby_tables"}, headers=alice.headers)
    assert "username" in field_errors(response)


def test_changing_the_case_of_ones_own_username_is_allowed(app, client, alice):
    update_user(app, alice, username="alice_k")
    response = client.patch(PROFILE, json={"username": "Alice_K"}, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["username"] == "Alice_K"


def test_the_database_refuses_a_username_that_slips_past_the_check(
    app, client, alice, bob, monkeypatch
):
    """Two users racing for one name: the unique index decides, and the loser gets a 400."""
    update_user(app, bob, username="wanted_name")
    monkeypatch.setattr("uzbekhub.accounts.profile_services.username_taken", lambda *a, **k: False)
    response = client.patch(PROFILE, json={"username": "WANTED_NAME"}, headers=alice.headers)
    assert "username" in field_errors(response)


# --- password change -------------------------------------------------------------------------------


def test_password_change_revokes_every_token_including_the_callers(client, alice, make_account):
    other_session = client.post(SIGNIN, json={"email": alice.email, "password": alice.password})
    other_access = other_session.get_json()["token"]["access"]
    response = client.patch(PROFILE, json={"password": "brand-new-pass"}, headers=alice.headers)
    assert response.status_code == 200
    assert client.get(PROFILE, headers=alice.headers).status_code == 401
    stale = {"Authorization": f"Bearer {other_access}"}
    assert client.get(PROFILE, headers=stale).status_code == 401
    assert client.post(REFRESH, json={"refresh": alice.refresh}).status_code == 401


def test_after_a_password_change_only_the_new_password_signs_in(client, alice):
    client.patch(PROFILE, json={"password": "brand-new-pass"}, headers=alice.headers)
    old = client.post(SIGNIN, json={"email": alice.email, "password": alice.password})
    assert old.status_code == 400
    new = client.post(SIGNIN, json={"email": alice.email, "password": "brand-new-pass"})
    assert new.status_code == 200
    token = new.get_json()["token"]["access"]
    assert client.get(PROFILE, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_patch_without_password_keeps_the_tokens(client, alice):
    client.patch(PROFILE, json={"bio": "still signed in"}, headers=alice.headers)
    assert client.get(PROFILE, headers=alice.headers).status_code == 200


def test_a_refused_password_change_keeps_the_old_password(client, alice):
    response = client.patch(
        PROFILE, json={"password": "brand-new-pass", "phone": "nope"}, headers=alice.headers
    )
    assert response.status_code == 400
    assert client.get(PROFILE, headers=alice.headers).status_code == 200
    ok = client.post(SIGNIN, json={"email": alice.email, "password": alice.password})
    assert ok.status_code == 200


def test_profile_edits_touch_only_the_callers_account(client, alice, bob):
    client.patch(PROFILE, json={"bio": "Alice's bio"}, headers=alice.headers)
    assert client.get(PROFILE, headers=bob.headers).get_json()["bio"] == ""


# --- username availability -------------------------------------------------------------------------


def test_free_username_is_available(client, alice):
    response = client.get(
        CHECK_USERNAME, query_string={"username": "free_name"}, headers=alice.headers
    )
    assert response.status_code == 200
    assert response.get_json() == {"available": True}


def test_username_of_another_user_in_any_case_is_not_available(app, client, alice, bob):
    update_user(app, bob, username="bob_u")
    for candidate in ("bob_u", "BOB_U", "Bob_U"):
        response = client.get(
            CHECK_USERNAME, query_string={"username": candidate}, headers=alice.headers
        )
        assert response.get_json() == {"available": False}


def test_own_username_counts_as_available(client, alice):
    response = client.get(
        CHECK_USERNAME, query_string={"username": alice.username.upper()}, headers=alice.headers
    )
    assert response.get_json() == {"available": True}


@pytest.mark.parametrize("username", ["abc", "a_", "bad..name", "x" * 26, ""])
def test_username_check_applies_the_same_rule_as_patch(client, alice, username):
    response = client.get(
        CHECK_USERNAME, query_string={"username": username}, headers=alice.headers
    )
    assert "username" in field_errors(response)


def test_username_check_needs_the_parameter(client, alice):
    assert "username" in field_errors(client.get(CHECK_USERNAME, headers=alice.headers))


def test_username_check_needs_a_token(client):
    assert client.get(CHECK_USERNAME, query_string={"username": "abcd"}).status_code == 401
