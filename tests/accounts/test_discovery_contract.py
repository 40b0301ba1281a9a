"""Search, a user by id and nearby are answered from columns; each must equal its schema's
dump of the same users loaded as ORM entities (the documented contract): places or none,
pictures, phones shown and hidden, logins, staff callers."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tests.accounts.helpers import (
    nearby_url,
    search_url,
    set_location,
    update_user,
    user_url,
)
from tests.accounts.test_nearby import TASHKENT, at_distance
from tests.support.contract import assert_answers_the_dump
from tests.support.factories import add_contact, block
from uzbekhub.accounts.models import User
from uzbekhub.accounts.nearby import coarse_km, distance_km, snapped
from uzbekhub.accounts.schemas import NearbyUserSchema, UserSchema
from uzbekhub.extensions import db

LOGGED_IN = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)


@pytest.fixture
def zeds(app, make_account):
    """Users that search `zed` finds, in its order (exact username, username starting with
    the key, then names), each located, pictured, phoned or not; and two it must not find.
    The first has added the caller as a contact: only its phone is the caller's to see."""
    caller = make_account(first_name="Caller")
    exact = make_account(first_name="Ali", phone="+998901111111", bio="exact")
    update_user(app, exact, username="zed", last_login=LOGGED_IN, last_online=LOGGED_IN)
    set_location(app, exact, *at_distance(TASHKENT, 3), country="Uzbekistan", city="Tashkent")
    add_contact(app, exact, caller)
    starts = make_account(last_name="", phone="+998902222222")
    update_user(app, starts, username="zedkhan", profile_picture="profile_pictures/z.png")
    set_location(app, starts, *at_distance(TASHKENT, 7, 200), country=None, city=None)
    named = make_account(first_name="Zed", last_name="Karimov")
    set_location(app, caller, *TASHKENT)
    set_location(app, named, *at_distance(TASHKENT, 12, 45), country="Uzbekistan", city=None)
    make_account(first_name="Zed", is_private=True)
    staff = make_account(is_staff=True)
    blocker = make_account(first_name="Zed")
    block(app, blocker, caller)
    block(app, blocker, staff)
    return caller, staff, [exact, starts, named]


def users_dump(app, ids: list[int], phones_shown: set[int], many=True):
    """UserSchema's dump of the users as ORM entities, with the phones the caller may not
    see taken away as the services did before."""
    with app.test_request_context():
        users = db.session.scalars(
            select(User).where(User.id.in_(ids)).options(selectinload(User.location))
        ).all()
        by_id = {user.id: user for user in users}
        ordered = [by_id[i] for i in ids]
        for user in ordered:
            if user.id not in phones_shown:
                user.phone = None
        dumped = UserSchema(many=True).dump(ordered)
        db.session.rollback()
        return dumped if many else dumped[0]


def test_search_answers_the_schemas_dump_of_the_same_users(app, client, zeds):
    caller, staff, found = zeds
    ids = [account.id for account in found]
    response = client.get(search_url("zed"), headers=caller.headers)
    assert_answers_the_dump(response, users_dump(app, ids, {found[0].id}))
    assert response.headers["X-Total-Count"] == "3"

    response = client.get(search_url("zed"), headers=staff.headers)
    assert_answers_the_dump(response, users_dump(app, ids, set(ids)))

    response = client.get(search_url("zed") + "?limit=1&offset=1", headers=caller.headers)
    assert_answers_the_dump(response, users_dump(app, ids[1:2], set()))
    response = client.get(search_url("zed") + "?offset=5", headers=caller.headers)
    assert_answers_the_dump(response, [])
    assert response.headers["X-Total-Count"] == "3"


def test_a_user_by_id_answers_the_schemas_dump(app, client, zeds):
    caller, staff, found = zeds
    for account in found:
        response = client.get(user_url(account.id), headers=caller.headers)
        shown = {found[0].id}
        assert_answers_the_dump(response, users_dump(app, [account.id], shown, many=False))
        response = client.get(user_url(account.id), headers=staff.headers)
        expected = users_dump(app, [account.id], {account.id}, many=False)
        assert_answers_the_dump(response, expected)
    own = client.get(user_url(caller.id), headers=caller.headers)
    assert_answers_the_dump(own, users_dump(app, [caller.id], {caller.id}, many=False))


def test_nearby_answers_the_schemas_dump_of_the_same_users(app, client, zeds):
    caller, _, found = zeds
    response = client.get(nearby_url(20), headers=caller.headers)
    with app.test_request_context():
        origin = snapped(*TASHKENT)
        users = db.session.scalars(
            select(User)
            .where(User.id.in_([account.id for account in found]))
            .options(selectinload(User.location))
        ).all()
        for user in users:
            place = snapped(user.location.lat, user.location.long)
            user.distance = coarse_km(distance_km(origin, place))
        expected = NearbyUserSchema(many=True).dump(sorted(users, key=lambda u: u.distance))
        db.session.rollback()
    assert_answers_the_dump(response, expected)
    assert [item["id"] for item in expected] == [account.id for account in found]
