"""Accounts 14-16: search, user by id, public profile, and the privacy rules of docs/rules.md."""

import pytest

from tests.accounts.helpers import (
    USER_KEYS,
    public_url,
    search_url,
    set_location,
    update_user,
    user_url,
)
from tests.support.answers import field_errors
from tests.support.factories import add_contact, block

PUBLIC_KEYS = [
    "id",
    "first_name",
    "last_name",
    "username",
    "bio",
    "profile_picture",
    "is_private",
    "date_joined",
]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()]


@pytest.fixture
def john(app, make_account):
    account = make_account("john@example.com", first_name="John", last_name="Smith")
    update_user(app, account, username="johnsmith", phone="+998901234567", bio="Developer")
    return account


# --- search --------------------------------------------------------------------------------------


def test_search_answers_the_spec_fields(client, alice, john):
    response = client.get(search_url("john"), headers=alice.headers)
    assert response.status_code == 200
    [found] = response.get_json()
    assert list(found) == USER_KEYS
    assert found["username"] == "johnsmith" and found["bio"] == "Developer"
    assert "email" not in found
    assert response.headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("key", ["john", "JOHN", "smi", "SMITH", "hnsm"])
def test_search_matches_username_first_and_last_name_in_any_case(client, alice, john, key):
    assert ids(client.get(search_url(key), headers=alice.headers)) == [john.id]


def test_search_puts_the_exact_username_first_then_prefixes(app, client, alice, make_account):
    contains = make_account(first_name="xmarkx")
    prefix = make_account()
    exact = make_account()
    update_user(app, prefix, username="mark_twain")
    update_user(app, exact, username="Mark")
    found = ids(client.get(search_url("mark"), headers=alice.headers))
    assert found == [exact.id, prefix.id, contains.id]


def test_search_never_finds_the_caller(client, alice):
    assert ids(client.get(search_url("alice"), headers=alice.headers)) == []


def test_search_leaves_private_users_out_even_for_their_contacts(app, client, alice, john):
    update_user(app, john, is_private=True)
    add_contact(app, john, alice)
    assert ids(client.get(search_url("john"), headers=alice.headers)) == []


def test_search_leaves_unverified_users_out(app, client, alice, john):
    update_user(app, john, is_active=False)
    assert ids(client.get(search_url("john"), headers=alice.headers)) == []


@pytest.mark.parametrize("direction", ["caller_blocked", "caller_was_blocked"])
def test_search_leaves_blocked_users_out_both_ways(app, client, alice, john, direction):
    if direction == "caller_blocked":
        block(app, alice, john)
    else:
        block(app, john, alice)
    assert ids(client.get(search_url("john"), headers=alice.headers)) == []
    assert ids(client.get(search_url("alice"), headers=john.headers)) == []


@pytest.mark.parametrize("key", ["%", "_", "%25", "\\"])
def test_search_treats_wildcards_literally(client, alice, john, key):
    assert ids(client.get(search_url(key), headers=alice.headers)) == []


def test_search_finds_a_literal_underscore(app, client, alice, john):
    assert ids(client.get(search_url("n_s"), headers=alice.headers)) == []
    update_user(app, john, username="john_smith")
    assert ids(client.get(search_url("n_s"), headers=alice.headers)) == [john.id]


def test_search_key_over_100_characters_is_400(client, alice):
    assert "key" in field_errors(client.get(search_url("x" * 101), headers=alice.headers))


def test_search_is_paginated_with_headers(app, client, alice, make_account):
    found = [make_account(first_name=f"Zed{i}").id for i in range(5)]
    response = client.get(
        search_url("zed"), query_string={"limit": 2, "offset": 2}, headers=alice.headers
    )
    assert ids(response) == found[2:4]
    assert response.headers["X-Total-Count"] == "5"
    assert 'rel="next"' in response.headers["Link"] and 'rel="prev"' in response.headers["Link"]


def test_search_past_the_last_page_still_counts_every_match(client, alice, make_account):
    for i in range(3):
        make_account(first_name=f"Zed{i}")
    response = client.get(
        search_url("zed"), query_string={"limit": 2, "offset": 5}, headers=alice.headers
    )
    assert ids(response) == []
    assert response.headers["X-Total-Count"] == "3"
    assert 'rel="prev"' in response.headers["Link"] and 'rel="next"' not in response.headers["Link"]
    nothing = client.get(search_url("nobody"), headers=alice.headers)
    assert ids(nothing) == [] and nothing.headers["X-Total-Count"] == "0"


def test_search_needs_a_token(client):
    assert client.get(search_url("john")).status_code == 401


def test_search_is_throttled(app, client, alice, john, throttled, monkeypatch):
    monkeypatch.setitem(app.config, "THROTTLE_PROFILE_SEARCH", "2/minute")
    for _ in range(2):
        assert client.get(search_url("john"), headers=alice.headers).status_code == 200
    response = client.get(search_url("john"), headers=alice.headers)
    assert response.status_code == 429
    assert response.get_json()["message"] == "Request was throttled"
    assert int(response.headers["Retry-After"]) > 0


# --- phone and location privacy ---------------------------------------------------------------------


def test_a_strangers_phone_is_hidden(client, alice, john):
    [found] = client.get(search_url("john"), headers=alice.headers).get_json()
    assert found["phone"] is None
    assert client.get(user_url(john.id), headers=alice.headers).get_json()["phone"] is None


def test_the_phone_is_shown_to_users_the_owner_added_as_contacts(app, client, alice, john):
    add_contact(app, john, alice)
    [found] = client.get(search_url("john"), headers=alice.headers).get_json()
    assert found["phone"] == "+998901234567"
    assert (
        client.get(user_url(john.id), headers=alice.headers).get_json()["phone"] == "+998901234567"
    )


def test_adding_the_owner_as_my_contact_does_not_reveal_their_phone(app, client, alice, john):
    add_contact(app, alice, john)
    [found] = client.get(search_url("john"), headers=alice.headers).get_json()
    assert found["phone"] is None


def test_staff_see_phones(client, john, make_account):
    staff = make_account(is_staff=True)
    [found] = client.get(search_url("john"), headers=staff.headers).get_json()
    assert found["phone"] == "+998901234567"


def test_own_phone_is_shown_by_id(app, client, john):
    assert (
        client.get(user_url(john.id), headers=john.headers).get_json()["phone"] == "+998901234567"
    )


def test_others_see_country_and_city_but_never_coordinates(app, client, alice, john):
    set_location(
        app, john, 41.2995, 69.2401, country="Uzbekistan", city="Tashkent", county="Yunusabad"
    )
    by_search = client.get(search_url("john"), headers=alice.headers)
    by_id = client.get(user_url(john.id), headers=alice.headers)
    public = client.get(public_url("johnsmith"))
    for response in (by_search, by_id, public):
        text = response.get_data(as_text=True)
        assert "41.2995" not in text and "69.2401" not in text
        assert "Yunusabad" not in text
    assert by_id.get_json()["location"] == {"country": "Uzbekistan", "city": "Tashkent"}


def test_email_is_never_shown_to_other_users(client, alice, john):
    for response in (
        client.get(search_url("john"), headers=alice.headers),
        client.get(user_url(john.id), headers=alice.headers),
        client.get(public_url("johnsmith")),
    ):
        assert "john@example.com" not in response.get_data(as_text=True)


# --- user by id ----------------------------------------------------------------------------------------


def test_user_by_id_answers_the_search_shape(client, alice, john):
    response = client.get(user_url(john.id), headers=alice.headers)
    assert response.status_code == 200
    assert list(response.get_json()) == USER_KEYS


def test_a_private_user_is_404_to_strangers_and_visible_to_their_contacts(
    app, client, alice, bob, john
):
    update_user(app, john, is_private=True)
    add_contact(app, john, alice)
    assert client.get(user_url(john.id), headers=alice.headers).status_code == 200
    assert client.get(user_url(john.id), headers=bob.headers).status_code == 404


def test_a_private_user_sees_themself(app, client, john):
    update_user(app, john, is_private=True)
    assert client.get(user_url(john.id), headers=john.headers).status_code == 200


@pytest.mark.parametrize("blocker", ["alice", "john"])
def test_user_by_id_is_404_when_blocked_either_way(app, client, alice, john, blocker):
    if blocker == "alice":
        block(app, alice, john)
    else:
        block(app, john, alice)
    response = client.get(user_url(john.id), headers=alice.headers)
    assert response.status_code == 404
    assert response.get_json() == {"error": "Resource not found"}
    assert client.get(user_url(alice.id), headers=john.headers).status_code == 404


def test_a_blocked_private_contact_is_404(app, client, alice, john):
    update_user(app, john, is_private=True)
    add_contact(app, john, alice)
    block(app, alice, john)
    assert client.get(user_url(john.id), headers=alice.headers).status_code == 404


def test_unknown_and_unverified_users_are_404(app, client, alice, john):
    assert client.get(user_url(99999), headers=alice.headers).status_code == 404
    update_user(app, john, is_active=False)
    assert client.get(user_url(john.id), headers=alice.headers).status_code == 404


def test_user_by_id_needs_a_token(client, john):
    assert client.get(user_url(john.id)).status_code == 401


# --- public profile ------------------------------------------------------------------------------------


def test_public_profile_answers_anonymous_callers(client, john):
    response = client.get(public_url("johnsmith"))
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == PUBLIC_KEYS
    assert body["id"] == john.id and body["first_name"] == "John"


def test_public_profile_username_is_case_insensitive(client, john):
    assert client.get(public_url("JohnSmith")).get_json()["id"] == john.id


def test_public_profile_of_a_private_user_is_404_even_to_contacts(app, client, alice, john):
    update_user(app, john, is_private=True)
    add_contact(app, john, alice)
    assert client.get(public_url("johnsmith")).status_code == 404
    assert client.get(public_url("johnsmith"), headers=alice.headers).status_code == 404


def test_public_profile_of_unknown_or_unverified_users_is_404(app, client, john):
    assert client.get(public_url("nobody_here")).status_code == 404
    update_user(app, john, is_active=False)
    assert client.get(public_url("johnsmith")).status_code == 404


@pytest.mark.parametrize("blocker", ["alice", "john"])
def test_public_profile_applies_blocks_when_the_caller_signs_in(app, client, alice, john, blocker):
    if blocker == "alice":
        block(app, alice, john)
    else:
        block(app, john, alice)
    assert client.get(public_url("johnsmith"), headers=alice.headers).status_code == 404
    assert client.get(public_url("johnsmith")).status_code == 200


def test_public_profile_with_a_bad_token_is_401(client, john):
    response = client.get(public_url("johnsmith"), headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401


def test_public_profile_is_throttled(app, client, john, throttled, monkeypatch):
    monkeypatch.setitem(app.config, "THROTTLE_PUBLIC_PROFILE", "3/minute")
    for _ in range(3):
        assert client.get(public_url("johnsmith")).status_code == 200
    response = client.get(public_url("johnsmith"))
    assert response.status_code == 429
    assert response.get_json()["wait_seconds"] > 0
