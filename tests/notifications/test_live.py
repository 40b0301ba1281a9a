"""Notification events on the user's sockets: both transports, every process."""

import os

import pytest

from tests.notifications.conftest import READ
from tests.realtime.support import http, received
from tests.support.posts import like, new_post, unlike
from tests.support.push_service import PushService

NOTIFICATION_EVENTS = ("notification", "notification_removed", "notification_count")


def events_of(socket) -> list[dict]:
    return [f for f in received(socket, notifications=True) if f["type"] in NOTIFICATION_EVENTS]


def test_each_change_is_an_event_then_the_count_on_socketio(client, alice, bob, sio, announced):
    socket = sio(alice)
    post_id = new_post(client, alice)
    like_id = like(client, bob, post_id)
    announced()
    created, count = events_of(socket)
    assert created["type"] == "notification"
    assert created["notification"]["type"] == "post_liked"
    assert created["notification"]["actors"][0]["id"] == bob.id
    assert count == {"type": "notification_count", "unread_count": 1}

    unlike(client, bob, like_id)
    announced()
    assert events_of(socket) == [
        {"type": "notification_removed", "id": created["notification"]["id"]},
        {"type": "notification_count", "unread_count": 0},
    ]
    assert received(sio(bob)) == []


def test_reading_and_deleting_are_announced(client, alice, bob, carol_account, sio, announced):
    post_id = new_post(client, alice)
    like(client, bob, post_id)
    announced()
    socket = sio(alice)
    like(client, carol_account, post_id)
    announced()
    regrouped, _ = events_of(socket)
    assert regrouped["notification"]["actor_count"] == 2

    client.post(READ, json={"all": True}, headers=alice.headers)
    announced()
    assert events_of(socket) == [{"type": "notification_count", "unread_count": 0}]

    notification_id = regrouped["notification"]["id"]
    client.delete(f"/api/notifications/{notification_id}/", headers=alice.headers)
    announced()
    assert events_of(socket) == [
        {"type": "notification_removed", "id": notification_id},
        {"type": "notification_count", "unread_count": 0},
    ]


def test_a_rolled_back_action_announces_nothing(client, alice, bob, sio, announced):
    post_id = new_post(client, alice)
    like(client, bob, post_id)
    socket = sio(alice)
    announced()
    events_of(socket)
    again = client.post("/api/posts/like/", json={"post": post_id}, headers=bob.headers)
    assert again.status_code == 400
    announced()
    assert events_of(socket) == []


def live_like(base, liker, post_id) -> str:
    status, body = http("POST", f"{base}/api/posts/like/", {"post": post_id}, liker.access)
    assert status == 201, body
    return body["id"]


def live_post(base, owner) -> str:
    status, body = http("POST", f"{base}/api/posts/post/", {"content": "live"}, owner.access)
    assert status == 201, body
    return body["id"]


def expect_notification(socket) -> dict:
    frame = socket.next(notifications=True)
    assert frame["type"] == "notification", frame
    count = socket.next(notifications=True)
    assert count["type"] == "notification_count", count
    return frame


def expect_sio_notification(socket) -> dict:
    frame = socket.notifications.get(timeout=5)
    assert frame["type"] == "notification", frame
    assert socket.notifications.get(timeout=5)["type"] == "notification_count"
    return frame


def test_both_transports_and_one_room_sockets_hear_it_live(
    live_server, clients, client, alice, bob
):
    room = client.post(
        "/api/chat/rooms/",
        json={"room_type": "private", "members": [bob.id]},
        headers=alice.headers,
    ).get_json()["id"]
    all_rooms = clients.ws(live_server, alice)
    one_room = clients.ws(live_server, alice, room=room)
    sio_client = clients.sio(live_server, alice)
    sio_client.quiet()
    post_id = live_post(live_server, alice)
    live_like(live_server, bob, post_id)
    for frame in (
        expect_notification(all_rooms),
        expect_notification(one_room),
        expect_sio_notification(sio_client),
    ):
        assert frame["notification"]["target"]["id"] == post_id
        assert frame["notification"]["actors"][0]["id"] == bob.id


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="two server processes meet through Redis (REDIS_URL)"
)
def test_two_processes_announce_to_each_others_sockets_and_push_only_when_none_is_open(
    app, live_server, start_server, clients, client, alice, bob, vapid_keys
):
    service = PushService(vapid_keys.public)
    try:
        push_env = {
            "VAPID_PRIVATE_KEY": vapid_keys.private,
            "VAPID_PUBLIC_KEY": vapid_keys.public,
            "VAPID_SUBJECT": "mailto:ops@uzbekhub.example",
            "WEBPUSH_ALLOW_HTTP": "true",
        }
        first, second = start_server(**push_env).url, start_server(**push_env).url
        browser = service.browser("alice")
        status, _ = http(
            "POST",
            f"{first}/api/notifications/push/subscriptions/",
            browser.subscription(),
            alice.access,
        )
        assert status == 201
        ws = clients.ws(second, alice)
        sio_client = clients.sio(second, alice)
        sio_client.quiet()
        post_id = live_post(first, alice)
        live_like(first, bob, post_id)
        assert expect_notification(ws)["notification"]["target"]["id"] == post_id
        assert expect_sio_notification(sio_client)["notification"]["target"]["id"] == post_id
        assert service.wait_for(1, timeout=1.5) == []  # Alice has sockets open elsewhere

        ws.close()
        sio_client.close()
        live_like(first, bob, live_post(first, alice))
        (delivery,) = service.wait_for(1)
        assert delivery.payload["notification"]["type"] == "post_liked"
    finally:
        service.stop()


@pytest.fixture
def carol_account(make_account):
    return make_account("carol@example.com", first_name="Carol")
