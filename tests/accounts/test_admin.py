"""Accounts 35-37: staff list, view and delete non-staff users."""

import pytest

from tests.accounts.helpers import (
    ADMIN_USERS,
    PROFILE,
    USER_KEYS,
    set_location,
    update_user,
    user_row,
)

ADMIN_KEYS = [*USER_KEYS, "email"]


def admin_user_url(pk) -> str:
    return f"{ADMIN_USERS}{pk}/"


@pytest.fixture
def staff(make_account):
    return make_account("staff@example.com", is_staff=True)


def test_staff_list_every_user_with_email_and_phone(app, client, staff, alice, make_account):
    update_user(app, alice, phone="+998901112233", is_private=True)
    unverified = make_account(is_active=False)
    response = client.get(ADMIN_USERS, headers=staff.headers)
    assert response.status_code == 200
    users = response.get_json()
    assert [u["id"] for u in users] == [staff.id, alice.id, unverified.id]
    assert response.headers["X-Total-Count"] == "3"
    listed = users[1]
    assert list(listed) == ADMIN_KEYS
    assert listed["email"] == alice.email and listed["phone"] == "+998901112233"


def test_staff_see_no_coordinates(app, client, staff, alice):
    set_location(app, alice, 41.2995, 69.2401, country="Uzbekistan", city="Tashkent")
    listed = client.get(ADMIN_USERS, headers=staff.headers)
    single = client.get(admin_user_url(alice.id), headers=staff.headers)
    for response in (listed, single):
        assert "41.2995" not in response.get_data(as_text=True)
    assert single.get_json()["location"] == {"country": "Uzbekistan", "city": "Tashkent"}


def test_staff_get_one_user(client, staff, alice):
    response = client.get(admin_user_url(alice.id), headers=staff.headers)
    assert response.status_code == 200
    assert response.get_json()["email"] == alice.email
    assert client.get(admin_user_url(99999), headers=staff.headers).status_code == 404


def test_staff_delete_a_user_for_good(app, client, staff, alice):
    response = client.delete(admin_user_url(alice.id), headers=staff.headers)
    assert response.status_code == 204
    assert user_row(app, alice.id) is None
    assert client.get(PROFILE, headers=alice.headers).status_code == 401
    assert client.delete(admin_user_url(alice.id), headers=staff.headers).status_code == 404


def test_staff_users_cannot_be_deleted_through_the_api(app, client, staff, make_account):
    other_staff = make_account(is_staff=True)
    for target in (other_staff, staff):
        response = client.delete(admin_user_url(target.id), headers=staff.headers)
        assert response.status_code == 403
        assert set(response.get_json()) == {"detail"}
        assert user_row(app, target.id) is not None


@pytest.mark.parametrize(
    "method, path",
    [("get", ADMIN_USERS), ("get", admin_user_url(1)), ("delete", admin_user_url(1))],
)
def test_non_staff_get_403_and_anonymous_401(app, client, alice, bob, method, path):
    response = getattr(client, method)(path, headers=alice.headers)
    assert response.status_code == 403
    assert response.get_json() == {"detail": "You do not have permission to perform this action."}
    assert getattr(client, method)(path).status_code == 401
    assert user_row(app, bob.id) is not None


def test_admin_list_is_paginated(client, staff, make_account):
    for _ in range(4):
        make_account()
    response = client.get(ADMIN_USERS, query_string={"limit": 2}, headers=staff.headers)
    assert len(response.get_json()) == 2
    assert response.headers["X-Total-Count"] == "5"
    assert 'rel="next"' in response.headers["Link"]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": "x"}, {"offset": -1}])
def test_bad_pagination_is_400(client, staff, query):
    assert client.get(ADMIN_USERS, query_string=query, headers=staff.headers).status_code == 400
