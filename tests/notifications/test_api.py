"""The notifications API: the list and its filters, reading, removing, settings, cost."""

import json
import re
import uuid

from tests.conftest import ROOT
from tests.notifications.conftest import (
    NOTIFICATIONS,
    READ,
    SETTINGS,
    notifications_of,
    results_of,
    unread_of,
)
from tests.support.posts import comment, like, new_post
from uzbekhub.accounts.models import User
from uzbekhub.extensions import db
from uzbekhub.notifications import hooks, live
from uzbekhub.notifications.models import TYPES
from uzbekhub.notifications.schemas import NotificationSchema
from uzbekhub.notifications.services import Changes
from uzbekhub.posts.models import Post


def test_the_list_needs_a_token(client):
    assert client.get(NOTIFICATIONS).status_code == 401


def test_the_list_pages_with_the_envelope(client, alice, bob):
    posts = [new_post(client, alice, f"post {n}") for n in range(3)]
    for post_id in posts:
        like(client, bob, post_id)
    body = notifications_of(client, alice, "?page_size=2")
    assert body["count"] == 3 and len(body["results"]) == 2
    assert "page=2" in body["next"] and body["previous"] is None
    second = notifications_of(client, alice, "?page_size=2&page=2")
    assert [n["target"]["id"] for n in second["results"]] == [posts[0]]
    assert "page=1" in second["previous"]


def test_filters_unread_and_types(client, alice, bob):
    first, second = new_post(client, alice), new_post(client, alice)
    like(client, bob, first)
    comment(client, bob, second)
    liked = results_of(client, alice, "?types=post_liked")
    assert [n["type"] for n in liked] == ["post_liked"]
    both = results_of(client, alice, "?types=post_liked,post_commented")
    assert len(both) == 2

    client.post(READ, json={"ids": [liked[0]["id"]]}, headers=alice.headers)
    unread = results_of(client, alice, "?unread=true")
    assert [n["type"] for n in unread] == ["post_commented"]


def test_an_unknown_type_in_the_filter_is_a_400(client, alice):
    response = client.get(f"{NOTIFICATIONS}?types=post_liked,nope", headers=alice.headers)
    assert response.status_code == 400
    assert "nope" in response.get_json()["details"]["types"][0]


def test_read_by_ids_answers_the_unread_count(client, alice, bob):
    first, second = new_post(client, alice), new_post(client, alice)
    like(client, bob, first)
    like(client, bob, second)
    newest = results_of(client, alice)[0]
    response = client.post(READ, json={"ids": [newest["id"]]}, headers=alice.headers)
    assert response.status_code == 200 and response.get_json() == {"unread_count": 1}
    assert [n["is_read"] for n in results_of(client, alice)] == [True, False]


def test_read_refuses_ids_of_others_and_bodies_with_neither_or_both(client, alice, bob):
    like(client, bob, new_post(client, alice))
    alices = results_of(client, alice)[0]["id"]
    response = client.post(READ, json={"ids": [alices]}, headers=bob.headers)
    assert response.status_code == 400 and "ids" in response.get_json()["details"]
    for body in ({}, {"ids": [alices], "all": True}, {"all": False}, {"ids": []}):
        response = client.post(READ, json=body, headers=alice.headers)
        assert response.status_code == 400, body
    assert unread_of(client, alice) == 1


def test_delete_removes_one_notification_and_only_ones_own(client, alice, bob):
    like(client, bob, new_post(client, alice))
    notification_id = results_of(client, alice)[0]["id"]
    url = f"{NOTIFICATIONS}{notification_id}/"
    assert client.delete(url, headers=bob.headers).status_code == 404
    assert client.delete(url, headers=alice.headers).status_code == 204
    assert results_of(client, alice) == [] and unread_of(client, alice) == 0
    assert client.delete(url, headers=alice.headers).status_code == 404


def test_settings_name_every_type_and_start_on(client, alice):
    response = client.get(SETTINGS, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json() == dict.fromkeys(TYPES, True)


def test_a_type_turned_off_is_not_created_and_on_again_is(client, alice, bob):
    response = client.patch(SETTINGS, json={"post_liked": False}, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json() == {kind: kind != "post_liked" for kind in TYPES}
    post_id = new_post(client, alice)
    like(client, bob, post_id)
    comment(client, bob, post_id)
    assert [n["type"] for n in results_of(client, alice)] == ["post_commented"]

    client.patch(SETTINGS, json={"post_liked": True}, headers=alice.headers)
    like(client, bob, new_post(client, alice))
    assert "post_liked" in [n["type"] for n in results_of(client, alice)]


def test_settings_refuse_unknown_types_and_non_booleans(client, alice):
    response = client.patch(SETTINGS, json={"poked": False}, headers=alice.headers)
    assert response.status_code == 400 and "poked" in response.get_json()["details"]
    response = client.patch(SETTINGS, json={"post_liked": "maybe"}, headers=alice.headers)
    assert response.status_code == 400 and "post_liked" in response.get_json()["details"]


def test_a_page_costs_the_same_statements_whatever_the_group_sizes(
    client, statements, announced, alice, make_account
):
    posts = [new_post(client, alice, f"post {n}") for n in range(3)]
    like(client, make_account(), posts[0])

    def cost() -> int:
        announced()  # the announcements' own reads are not the page's
        with statements() as seen:
            response = client.get(NOTIFICATIONS, headers=alice.headers)
        assert response.status_code == 200
        return len(seen)

    small = cost()
    hidden = []
    for post_id in posts:
        likers = [make_account() for _ in range(6)]
        for liker in likers:
            like(client, liker, post_id)
        hidden.append(likers[-1])
        comment(client, make_account(), post_id)
    for liker in hidden:  # the latest liker of each post goes private: not shown, not counted
        response = client.patch(
            "/api/accounts/account/profile/", json={"is_private": True}, headers=liker.headers
        )
        assert response.status_code == 200
    large = cost()
    results = results_of(client, alice)
    assert len(results) == 6
    assert sorted(n["actor_count"] for n in results if n["type"] == "post_liked") == [5, 5, 6]
    assert all(len(n["actors"]) == 3 for n in results if n["type"] == "post_liked")
    assert large == small


def test_adding_an_actor_to_a_group_is_one_statement(
    app, client, statements, announced, alice, make_account
):
    post_id = new_post(client, alice)
    likers = [make_account() for _ in range(12)]
    for liker in likers[:-1]:
        like(client, liker, post_id)
    announced()
    with app.test_request_context():
        liker = db.session.get(User, likers[-1].id)
        post = db.session.get(Post, uuid.UUID(post_id))
        with statements() as seen:
            hooks.post_liked(liker, post.id)
        db.session.commit()
    assert len(seen) == 1
    assert seen[0].lstrip().upper().startswith("INSERT INTO NOTIFICATION_ACTORS")
    assert results_of(client, alice)[0]["actor_count"] == 12


def test_announcing_a_new_actor_reads_the_group_with_the_count_then_its_actors(
    app, client, statements, announced, alice, bob, make_account
):
    post_id = new_post(client, alice)
    like(client, make_account(), post_id)
    like(client, bob, post_id)
    announced()
    group = (alice.id, "post_liked", f"post:{post_id}")
    with app.test_request_context():
        with statements() as seen:
            live.announce(Changes({group: True}, set(), {alice.id}))
        db.session.remove()
    group_with_count, actors, pushed_to = seen  # alice has no socket open: Web Push
    assert "count(*)" in group_with_count and "FROM users" in actors
    assert "password_hash" not in actors and "FROM push_subscriptions" in pushed_to


def test_the_client_reference_shows_the_item_and_every_event():
    text = (ROOT / "docs" / "notifications.md").read_text()
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    item = json.loads(blocks[0])
    events = [json.loads(line) for line in blocks[1].splitlines() if line.strip()]
    assert set(item) == set(NotificationSchema().fields)
    assert [e["type"] for e in events] == [
        "notification",
        "notification_removed",
        "notification_count",
    ]
    for kind in TYPES:
        assert f"| `{kind}` |" in text
