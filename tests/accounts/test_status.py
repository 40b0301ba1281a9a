"""Accounts 25-28: the caller's status line."""

import pytest

from tests.accounts.helpers import PROFILE, STATUS
from tests.support.answers import field_errors

STATUS_KEYS = ["id", "user", "content", "created_at", "updated_at"]


def test_no_status_is_404(client, alice):
    response = client.get(STATUS, headers=alice.headers)
    assert response.status_code == 404
    assert response.get_json() == {"error": "Resource not found"}


def test_create_get_update_delete(client, alice):
    created = client.post(STATUS, json={"content": "Busy working"}, headers=alice.headers)
    assert created.status_code == 201
    body = created.get_json()
    assert list(body) == STATUS_KEYS
    assert (body["user"], body["content"]) == (alice.id, "Busy working")
    assert client.get(STATUS, headers=alice.headers).get_json() == body
    updated = client.put(STATUS, json={"content": "Available now"}, headers=alice.headers)
    assert updated.status_code == 200
    assert updated.get_json()["id"] == body["id"]
    assert updated.get_json()["content"] == "Available now"
    assert (
        client.get(PROFILE, headers=alice.headers).get_json()["status"]["content"]
        == "Available now"
    )
    assert client.delete(STATUS, headers=alice.headers).status_code == 204
    assert client.get(STATUS, headers=alice.headers).status_code == 404


def test_a_second_status_is_400(client, alice):
    client.post(STATUS, json={"content": "one"}, headers=alice.headers)
    response = client.post(STATUS, json={"content": "two"}, headers=alice.headers)
    assert "non_field_errors" in field_errors(response)
    assert client.get(STATUS, headers=alice.headers).get_json()["content"] == "one"


def test_update_or_delete_without_a_status_is_404(client, alice):
    assert client.put(STATUS, json={"content": "x"}, headers=alice.headers).status_code == 404
    assert client.delete(STATUS, headers=alice.headers).status_code == 404


def test_55_characters_fit(client, alice):
    response = client.post(STATUS, json={"content": "x" * 55}, headers=alice.headers)
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"content": "x" * 56},
        {"content": ""},
        {"content": "   "},
        {},
        {"content": None},
        {"content": 5},
        {"content": "ok", "user": 2},
    ],
)
def test_bad_status_bodies_are_400(client, alice, body):
    assert field_errors(client.post(STATUS, json=body, headers=alice.headers))
    client.post(STATUS, json={"content": "set"}, headers=alice.headers)
    assert field_errors(client.put(STATUS, json=body, headers=alice.headers))


def test_each_user_has_their_own_status(client, alice, bob):
    client.post(STATUS, json={"content": "Alice's"}, headers=alice.headers)
    assert client.get(STATUS, headers=bob.headers).status_code == 404
    assert client.put(STATUS, json={"content": "hijack"}, headers=bob.headers).status_code == 404
    assert client.delete(STATUS, headers=bob.headers).status_code == 404
    assert client.post(STATUS, json={"content": "Bob's"}, headers=bob.headers).status_code == 201
    assert client.get(STATUS, headers=alice.headers).get_json()["content"] == "Alice's"


def test_status_needs_a_token(client):
    assert client.get(STATUS).status_code == 401
    assert client.post(STATUS, json={"content": "x"}).status_code == 401
