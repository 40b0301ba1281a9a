"""Accounts 29-34: contacts, the owner's only."""

import pytest

from tests.accounts.helpers import CONTACTS, update_user
from tests.support.answers import field_errors
from tests.support.factories import block

CONTACT_KEYS = ["id", "owner", "contact", "nikname", "created_at", "update_at"]


def contact_url(pk) -> str:
    return f"{CONTACTS}{pk}/"


def add(client, owner, contact_id, nikname=None):
    body = {"contact": contact_id}
    if nikname is not None:
        body["nikname"] = nikname
    return client.post(CONTACTS, json=body, headers=owner.headers)


def test_adding_a_contact_answers_the_spec_item(client, alice, bob):
    response = add(client, alice, bob.id, "Best Friend")
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == CONTACT_KEYS
    assert (body["owner"], body["contact"], body["nikname"]) == (alice.id, bob.id, "Best Friend")
    assert body["created_at"].endswith("Z") and body["update_at"].endswith("Z")


def test_nikname_is_optional(client, alice, bob):
    assert add(client, alice, bob.id).get_json()["nikname"] == ""


def test_the_list_holds_only_the_callers_contacts_latest_first(client, alice, bob, make_account):
    carol = make_account()
    add(client, alice, bob.id)
    add(client, alice, carol.id)
    add(client, bob, carol.id)
    response = client.get(CONTACTS, headers=alice.headers)
    assert [c["contact"] for c in response.get_json()] == [carol.id, bob.id]
    assert response.headers["X-Total-Count"] == "2"


def test_detail_put_patch_and_delete(client, alice, bob, make_account):
    carol = make_account()
    created = add(client, alice, bob.id, "Bob").get_json()
    url = contact_url(created["id"])
    assert client.get(url, headers=alice.headers).get_json() == created
    put = client.put(url, json={"contact": carol.id, "nikname": "Carol"}, headers=alice.headers)
    assert put.status_code == 200
    assert (put.get_json()["contact"], put.get_json()["nikname"]) == (carol.id, "Carol")
    assert put.get_json()["id"] == created["id"]
    patch = client.patch(url, json={"nikname": "  Caz  "}, headers=alice.headers)
    assert patch.status_code == 200
    assert (patch.get_json()["contact"], patch.get_json()["nikname"]) == (carol.id, "Caz")
    assert client.delete(url, headers=alice.headers).status_code == 204
    assert client.get(url, headers=alice.headers).status_code == 404
    assert client.delete(url, headers=alice.headers).status_code == 404


def test_put_without_nikname_keeps_it(client, alice, bob):
    created = add(client, alice, bob.id, "Bob").get_json()
    put = client.put(contact_url(created["id"]), json={"contact": bob.id}, headers=alice.headers)
    assert put.get_json()["nikname"] == "Bob"


def test_put_needs_the_contact(client, alice, bob):
    created = add(client, alice, bob.id).get_json()
    response = client.put(contact_url(created["id"]), json={"nikname": "x"}, headers=alice.headers)
    assert "contact" in field_errors(response)


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_users_contacts_are_404_and_stay(client, alice, bob, make_account, method):
    carol = make_account()
    created = add(client, alice, carol.id, "Carol").get_json()
    response = getattr(client, method)(
        contact_url(created["id"]),
        json={"contact": carol.id, "nikname": "mine now"},
        headers=bob.headers,
    )
    assert response.status_code == 404
    assert client.get(contact_url(created["id"]), headers=alice.headers).get_json() == created


def test_an_unknown_contact_id_is_404(client, alice):
    assert client.get(contact_url(99999), headers=alice.headers).status_code == 404


def test_adding_yourself_is_400(client, alice):
    assert "contact" in field_errors(add(client, alice, alice.id))


def test_adding_a_contact_twice_is_400(client, alice, bob):
    add(client, alice, bob.id)
    assert "contact" in field_errors(add(client, alice, bob.id, "again"))


def test_moving_a_contact_onto_an_existing_one_is_400(client, alice, bob, make_account):
    carol = make_account()
    add(client, alice, bob.id)
    second = add(client, alice, carol.id).get_json()
    response = client.patch(
        contact_url(second["id"]), json={"contact": bob.id}, headers=alice.headers
    )
    assert "contact" in field_errors(response)


def test_moving_a_contact_onto_yourself_is_400(client, alice, bob):
    created = add(client, alice, bob.id).get_json()
    response = client.put(
        contact_url(created["id"]), json={"contact": alice.id}, headers=alice.headers
    )
    assert "contact" in field_errors(response)


def test_adding_an_unknown_or_unverified_user_is_400(app, client, alice, bob):
    assert "contact" in field_errors(add(client, alice, 99999))
    update_user(app, bob, is_active=False)
    assert "contact" in field_errors(add(client, alice, bob.id))


@pytest.mark.parametrize("blocker", ["alice", "bob"])
def test_adding_a_contact_blocked_either_way_is_400_like_an_unknown_user(
    app, client, alice, bob, blocker
):
    block(app, *((alice, bob) if blocker == "alice" else (bob, alice)))
    errors = field_errors(add(client, alice, bob.id))
    assert errors["contact"] == field_errors(add(client, alice, 99999))["contact"]


@pytest.mark.parametrize("blocker", ["alice", "bob"])
def test_a_contact_blocked_either_way_is_hidden_until_unblocked(app, client, alice, bob, blocker):
    created = add(client, alice, bob.id).get_json()
    pair = (alice, bob) if blocker == "alice" else (bob, alice)
    block(app, *pair)
    assert client.get(CONTACTS, headers=alice.headers).get_json() == []
    assert client.get(contact_url(created["id"]), headers=alice.headers).status_code == 404
    assert (
        client.patch(
            contact_url(created["id"]), json={"nikname": "x"}, headers=alice.headers
        ).status_code
        == 404
    )
    client.delete(f"/api/accounts/account/block/{pair[1].id}/", headers=pair[0].headers)
    assert client.get(contact_url(created["id"]), headers=alice.headers).get_json() == created


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "contact"),
        ({"contact": "abc"}, "contact"),
        ({"contact": 1.5}, "contact"),
        ({"contact": None}, "contact"),
        ({"contact": 0}, "contact"),
        ({"contact": 2, "nikname": "x" * 101}, "nikname"),
        ({"contact": 2, "nikname": 7}, "nikname"),
        ({"contact": 2, "owner": 5}, "owner"),
    ],
)
def test_bad_contact_bodies_are_400_on_the_field(client, alice, body, field):
    assert field in field_errors(client.post(CONTACTS, json=body, headers=alice.headers))


def test_contacts_need_a_token(client):
    assert client.get(CONTACTS).status_code == 401
    assert client.post(CONTACTS, json={"contact": 1}).status_code == 401
    assert client.get(contact_url(1)).status_code == 401
    assert client.delete(contact_url(1)).status_code == 401
