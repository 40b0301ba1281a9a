"""Actors the recipient may no longer see (gone private, deactivated, blocked) are neither shown
nor counted anywhere: the list, `actor_count`, `actors`, the unread count and the events agree.
Nor do they date a group or move it up: its time and place are its latest visible actor's."""

import pytest
from sqlalchemy import update

from tests.accounts.helpers import CONTACTS
from tests.notifications.conftest import READ, notifications_of, results_of, unread_of
from tests.notifications.test_live import events_of
from tests.support.factories import add_contact, block
from tests.support.posts import like, new_post
from uzbekhub.accounts.models import User
from uzbekhub.extensions import db

PROFILE = "/api/accounts/account/profile/"


@pytest.fixture
def carol(make_account):
    return make_account("carol@example.com", first_name="Carol")


def set_private(client, account, private: bool) -> None:
    response = client.patch(PROFILE, json={"is_private": private}, headers=account.headers)
    assert response.status_code == 200, response.get_json()


def deactivate(app, account) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == account.id).values(is_active=False))
        db.session.commit()


def hide(cause: str, app, client, recipient, actor) -> None:
    """Make `actor` invisible to `recipient` in one of the ways the visibility rules allow."""
    if cause == "went private":
        set_private(client, actor, True)
    elif cause == "deactivated":
        deactivate(app, actor)
    elif cause == "blocked by the recipient":
        block(app, recipient, actor)  # straight in the database: the actor rows stay
    elif cause == "blocked the recipient":
        block(app, actor, recipient)


CAUSES = ("went private", "deactivated", "blocked by the recipient", "blocked the recipient")


@pytest.mark.parametrize("cause", CAUSES)
def test_a_hidden_actor_is_neither_shown_nor_counted(app, client, alice, bob, carol, cause):
    post_id = new_post(client, alice)
    like(client, carol, post_id)
    like(client, bob, post_id)
    hide(cause, app, client, alice, bob)

    (notification,) = results_of(client, alice)
    assert [a["id"] for a in notification["actors"]] == [carol.id]
    assert notification["actor_count"] == 1
    assert unread_of(client, alice) == 1


@pytest.mark.parametrize("cause", CAUSES)
def test_a_group_with_only_hidden_actors_is_not_listed_nor_unread(app, client, alice, bob, cause):
    first, second = new_post(client, alice, "first"), new_post(client, alice, "second")
    like(client, bob, first)
    like(client, bob, second)
    ids = [n["id"] for n in results_of(client, alice)]
    hide(cause, app, client, alice, bob)

    for query in ("", "?unread=true", "?types=post_liked", "?page_size=1"):
        body = notifications_of(client, alice, query)
        assert (body["count"], body["results"], body["next"]) == (0, [], None), query
    assert unread_of(client, alice) == 0
    response = client.post(READ, json={"ids": ids}, headers=alice.headers)
    assert response.status_code == 400  # nothing the recipient may see by those ids


def test_the_latest_visible_actors_fill_the_three_places(app, client, alice, make_account):
    post_id = new_post(client, alice)
    likers = [make_account() for _ in range(6)]
    for liker in likers:
        like(client, liker, post_id)
    for hidden in likers[3:5]:
        set_private(client, hidden, True)

    (notification,) = results_of(client, alice)
    assert [a["id"] for a in notification["actors"]] == [
        likers[5].id,
        likers[2].id,
        likers[1].id,
    ]
    assert notification["actor_count"] == 4


def test_a_private_actor_is_still_seen_by_those_they_added(app, client, alice, bob, carol):
    post_id = new_post(client, alice)
    like(client, bob, post_id)
    like(client, carol, post_id)
    add_contact(app, bob, alice)
    set_private(client, bob, True)
    (notification,) = results_of(client, alice)
    assert notification["actor_count"] == 2
    assert {a["id"] for a in notification["actors"]} == {bob.id, carol.id}


def test_going_private_and_back_is_announced(client, alice, bob, carol, sio, announced):
    alone, shared = new_post(client, alice, "alone"), new_post(client, alice, "shared")
    like(client, bob, alone)
    like(client, carol, shared)
    like(client, bob, shared)
    announced()
    socket = sio(alice)
    ids = {n["target"]["id"]: n["id"] for n in results_of(client, alice)}

    set_private(client, bob, True)
    announced()
    events = events_of(socket)
    assert {"type": "notification_removed", "id": ids[alone]} in events
    (regrouped,) = [e["notification"] for e in events if e["type"] == "notification"]
    assert regrouped["id"] == ids[shared] and regrouped["actor_count"] == 1
    assert [a["id"] for a in regrouped["actors"]] == [carol.id]
    assert events[-1] == {"type": "notification_count", "unread_count": 1}

    set_private(client, bob, False)
    announced()
    events = events_of(socket)
    back = {
        e["notification"]["id"]: e["notification"] for e in events if e["type"] == "notification"
    }
    assert set(back) == {ids[alone], ids[shared]}
    assert back[ids[shared]]["actor_count"] == 2
    assert events[-1] == {"type": "notification_count", "unread_count": 2}


def test_a_private_actor_dropping_the_recipient_from_contacts_is_announced(
    app, client, alice, bob, sio, announced
):
    response = client.post(CONTACTS, json={"contact": alice.id}, headers=bob.headers)
    assert response.status_code == 201
    contact_id = response.get_json()["id"]
    set_private(client, bob, True)
    post_id = new_post(client, alice)
    like(client, bob, post_id)
    liked = next(n for n in results_of(client, alice) if n["type"] == "post_liked")
    announced()
    socket = sio(alice)

    assert client.delete(f"{CONTACTS}{contact_id}/", headers=bob.headers).status_code == 204
    announced()
    events = events_of(socket)
    assert {"type": "notification_removed", "id": liked["id"]} in events
    assert events[-1] == {"type": "notification_count", "unread_count": 0}
    assert notifications_of(client, alice)["count"] == 0

    response = client.post(CONTACTS, json={"contact": alice.id}, headers=bob.headers)
    announced()
    shown = [e["notification"] for e in events_of(socket) if e["type"] == "notification"]
    assert {n["type"] for n in shown} == {"post_liked", "contact_added"}
    assert len(results_of(client, alice)) == 2


def newest_first(client, account, query: str = "") -> list[tuple[str, str]]:
    return [(n["target"]["id"], n["created_at"]) for n in results_of(client, account, query)]


@pytest.mark.parametrize("cause", CAUSES)
def test_a_hidden_actor_neither_moves_nor_dates_the_group(app, client, alice, bob, carol, cause):
    liked_twice, other = new_post(client, alice, "liked twice"), new_post(client, alice, "other")
    like(client, carol, liked_twice)
    (carol_time,) = [at for _, at in newest_first(client, alice)]
    like(client, carol, other)
    (other_time,) = [at for key, at in newest_first(client, alice) if key == other]
    like(client, bob, liked_twice)  # the latest actor, later hidden
    assert [key for key, _ in newest_first(client, alice)] == [liked_twice, other]
    hide(cause, app, client, alice, bob)

    expected = [(other, other_time), (liked_twice, carol_time)]
    for query in ("", "?unread=true", "?types=post_liked"):
        assert newest_first(client, alice, query) == expected, query
    pages = [newest_first(client, alice, f"?page_size=1&page={page}") for page in (1, 2)]
    assert pages == [[expected[0]], [expected[1]]]


def test_an_actor_shown_again_dates_the_group_again(app, client, alice, bob, carol):
    post_id, other = new_post(client, alice, "shared"), new_post(client, alice, "other")
    like(client, carol, post_id)
    like(client, carol, other)
    like(client, bob, post_id)
    shown = newest_first(client, alice)
    set_private(client, bob, True)
    assert [key for key, _ in newest_first(client, alice)] == [other, post_id]
    set_private(client, bob, False)
    assert newest_first(client, alice) == shown


def test_the_regrouped_event_carries_the_latest_visible_time(
    client, alice, bob, carol, sio, announced
):
    post_id = new_post(client, alice)
    like(client, carol, post_id)
    (carol_time,) = [at for _, at in newest_first(client, alice)]
    like(client, bob, post_id)
    announced()
    socket = sio(alice)

    set_private(client, bob, True)
    announced()
    (regrouped,) = [e["notification"] for e in events_of(socket) if e["type"] == "notification"]
    assert regrouped["created_at"] == carol_time
