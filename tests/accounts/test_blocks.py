"""Accounts 21-24: blocks, the caller's own, working both ways everywhere."""

import pytest

from tests.accounts.helpers import (
    BLOCKS,
    CONTACTS,
    nearby_url,
    public_url,
    search_url,
    set_location,
    update_user,
    upload,
    user_url,
)
from tests.support.answers import field_errors
from tests.support.factories import add_contact, block
from tests.support.images import image_bytes


def block_url(pk) -> str:
    return f"{BLOCKS}{pk}/"


def test_blocking_answers_the_spec_item(app, client, alice, bob):
    client.patch(
        "/api/accounts/account/profile/",
        data={"profile_picture": upload(image_bytes())},
        headers=bob.headers,
        content_type="multipart/form-data",
    )
    response = client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == ["id", "user", "blocked_user", "created_at"]
    assert body["user"] == alice.id
    brief = body["blocked_user"]
    assert list(brief) == ["id", "username", "full_name", "profile_picture"]
    assert brief["id"] == bob.id and brief["full_name"] == "Bob Usmonov"
    assert brief["profile_picture"].startswith("http://localhost/media/")


def test_the_list_holds_the_callers_blocks_latest_first(app, client, alice, bob, make_account):
    carol = make_account()
    client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    client.post(BLOCKS, json={"blocked_user": carol.id}, headers=alice.headers)
    block(app, bob, carol)  # someone else's block is not in Alice's list
    response = client.get(BLOCKS, headers=alice.headers)
    assert [b["blocked_user"]["id"] for b in response.get_json()] == [carol.id, bob.id]
    assert response.headers["X-Total-Count"] == "2"


def test_an_empty_list_is_an_empty_array(client, alice):
    response = client.get(BLOCKS, headers=alice.headers)
    assert response.get_json() == []
    assert response.headers["X-Total-Count"] == "0"
    assert "Link" not in response.headers


def test_detail_and_delete_take_the_blocked_users_id(client, alice, bob):
    created = client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers).get_json()
    detail = client.get(block_url(bob.id), headers=alice.headers)
    assert detail.status_code == 200 and detail.get_json() == created
    assert client.delete(block_url(bob.id), headers=alice.headers).status_code == 204
    assert client.get(block_url(bob.id), headers=alice.headers).status_code == 404
    assert client.delete(block_url(bob.id), headers=alice.headers).status_code == 404


def test_the_block_rows_id_is_not_a_detail_key(client, alice, bob, make_account):
    carol = make_account()
    client.post(BLOCKS, json={"blocked_user": carol.id}, headers=alice.headers)
    block_id = client.get(BLOCKS, headers=alice.headers).get_json()[0]["id"]
    assert block_id != carol.id  # three users, one block: the ids differ
    assert client.get(block_url(block_id), headers=alice.headers).status_code == 404


def test_other_users_blocks_are_404_and_stay(app, client, alice, bob, make_account):
    carol = make_account()
    block(app, alice, carol)
    assert client.get(block_url(carol.id), headers=bob.headers).status_code == 404
    assert client.delete(block_url(carol.id), headers=bob.headers).status_code == 404
    assert client.get(block_url(carol.id), headers=alice.headers).status_code == 200


def test_the_blocked_user_cannot_lift_the_block(app, client, alice, bob):
    block(app, alice, bob)
    assert client.delete(block_url(alice.id), headers=bob.headers).status_code == 404
    assert client.get(block_url(bob.id), headers=alice.headers).status_code == 200


def test_blocking_yourself_is_400(client, alice):
    response = client.post(BLOCKS, json={"blocked_user": alice.id}, headers=alice.headers)
    assert "blocked_user" in field_errors(response)


def test_blocking_twice_is_400(client, alice, bob):
    client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    response = client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    assert "blocked_user" in field_errors(response)
    assert len(client.get(BLOCKS, headers=alice.headers).get_json()) == 1


def test_blocking_someone_who_blocked_you_is_answered_like_an_unknown_user(app, client, alice, bob):
    block(app, bob, alice)
    response = client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    assert field_errors(response) == {"blocked_user": ["No such user."]}
    assert "username" not in response.get_data(as_text=True)


def test_blocking_a_private_user_who_has_not_added_you_is_answered_like_an_unknown_user(
    app, client, alice, bob
):
    update_user(app, bob, is_private=True)
    response = client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    assert field_errors(response) == {"blocked_user": ["No such user."]}
    assert bob.username not in response.get_data(as_text=True)


def test_a_private_user_who_added_you_can_be_blocked(app, client, alice, bob):
    update_user(app, bob, is_private=True)
    add_contact(app, bob, alice)
    response = client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    assert response.status_code == 201
    assert response.get_json()["blocked_user"]["username"] == bob.username


@pytest.mark.parametrize("hidden_by", ["going_private", "blocking_back"])
def test_the_block_list_stops_showing_a_user_who_became_hidden(app, client, alice, bob, hidden_by):
    client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    if hidden_by == "going_private":
        update_user(app, bob, is_private=True)
    else:
        block(app, bob, alice)
    listed = client.get(BLOCKS, headers=alice.headers)
    assert listed.get_json() == []
    assert bob.username not in listed.get_data(as_text=True)
    assert client.get(block_url(bob.id), headers=alice.headers).status_code == 404
    # The block is still the caller's to lift.
    assert client.delete(block_url(bob.id), headers=alice.headers).status_code == 204


def test_blocking_an_unknown_or_unverified_user_is_400(app, client, alice, bob):
    response = client.post(BLOCKS, json={"blocked_user": 99999}, headers=alice.headers)
    assert "blocked_user" in field_errors(response)
    update_user(app, bob, is_active=False)
    response = client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    assert "blocked_user" in field_errors(response)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"blocked_user": "abc"},
        {"blocked_user": 2.5},
        {"blocked_user": True},
        {"blocked_user": None},
        {"blocked_user": -1},
        {"blocked_user": 2**40},
    ],
)
def test_bad_block_bodies_are_400(client, alice, body):
    assert "blocked_user" in field_errors(client.post(BLOCKS, json=body, headers=alice.headers))


def test_blocks_need_a_token(client, bob):
    assert client.get(BLOCKS).status_code == 401
    assert client.post(BLOCKS, json={"blocked_user": bob.id}).status_code == 401
    assert client.get(block_url(bob.id)).status_code == 401
    assert client.delete(block_url(bob.id)).status_code == 401


# --- both ways, everywhere ------------------------------------------------------------------------------


@pytest.mark.parametrize("blocker", ["alice", "bob"])
def test_a_block_hides_each_from_the_other_everywhere(app, client, alice, bob, blocker):
    set_location(app, alice, 41.30, 69.24)
    set_location(app, bob, 41.31, 69.25)
    add_contact(app, alice, bob)
    add_contact(app, bob, alice)
    update_user(app, bob, username="bob_u")
    update_user(app, alice, username="alice_k")
    if blocker == "alice":
        client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    else:
        client.post(BLOCKS, json={"blocked_user": alice.id}, headers=bob.headers)
    for me, other, other_name in ((alice, bob, "bob_u"), (bob, alice, "alice_k")):
        assert client.get(search_url(other_name), headers=me.headers).get_json() == []
        assert client.get(user_url(other.id), headers=me.headers).status_code == 404
        assert client.get(public_url(other_name), headers=me.headers).status_code == 404
        assert client.get(nearby_url(10), headers=me.headers).get_json() == []
        assert client.get(CONTACTS, headers=me.headers).get_json() == []
        response = client.post(CONTACTS, json={"contact": other.id}, headers=me.headers)
        assert response.status_code == 400


def test_unblocking_restores_everything(app, client, alice, bob):
    add_contact(app, alice, bob)
    update_user(app, bob, username="bob_u")
    client.post(BLOCKS, json={"blocked_user": bob.id}, headers=alice.headers)
    client.delete(block_url(bob.id), headers=alice.headers)
    assert [u["id"] for u in client.get(search_url("bob_u"), headers=alice.headers).get_json()] == [
        bob.id
    ]
    assert client.get(user_url(bob.id), headers=alice.headers).status_code == 200
    assert [c["contact"] for c in client.get(CONTACTS, headers=alice.headers).get_json()] == [
        bob.id
    ]
