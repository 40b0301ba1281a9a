"""Web Push: keys, subscriptions, the endpoint guard, and messages a push service decrypts."""

import time

import pytest
from sqlalchemy import func, select

from config import ConfigError, load_config
from tests.notifications.conftest import PUSH_KEY, SUBSCRIPTIONS
from tests.support.posts import like, new_post, unlike
from tests.support.push_service import Browser, PushService, VapidKeys
from uzbekhub.chat.namespace import NAMESPACE
from uzbekhub.extensions import db
from uzbekhub.notifications.models import PushSubscription

SUBJECT = "mailto:ops@uzbekhub.example"
KEYS = Browser("https://8.8.8.8/push/abc").subscription()["keys"]


@pytest.fixture
def vapid(app, monkeypatch):
    keys = VapidKeys.generate()
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", keys.private)
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", keys.public)
    monkeypatch.setitem(app.config, "VAPID_SUBJECT", SUBJECT)
    return keys


@pytest.fixture
def push_service(app, monkeypatch, vapid):
    monkeypatch.setitem(app.config, "WEBPUSH_ALLOW_HTTP", True)
    service = PushService(vapid.public)
    yield service
    service.stop()


def subscribe(client, account, browser):
    return client.post(SUBSCRIPTIONS, json=browser.subscription(), headers=account.headers)


def subscriptions_of(app, account) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(PushSubscription.user_id == account.id))


# --- configuration -------------------------------------------------------------------------------


def test_without_vapid_keys_the_push_endpoints_answer_503(app, client, alice, monkeypatch):
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", None)
    for method, url, body in (
        ("get", PUSH_KEY, None),
        ("post", SUBSCRIPTIONS, {"endpoint": "https://8.8.8.8/x", "keys": {}}),
        ("delete", SUBSCRIPTIONS, {"endpoint": "https://8.8.8.8/x"}),
    ):
        response = getattr(client, method)(url, json=body, headers=alice.headers)
        assert response.status_code == 503, (url, response.get_json())
        assert response.get_json() == {"error": "Web Push is not configured on this server."}


def test_the_key_is_the_vapid_public_key(client, alice, vapid):
    response = client.get(PUSH_KEY, headers=alice.headers)
    assert response.status_code == 200 and response.get_json() == {"public_key": vapid.public}


def test_production_refuses_webpush_allow_http():
    env = {"APP_ENV": "production", "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40}
    load_config(env)
    with pytest.raises(ConfigError, match="WEBPUSH_ALLOW_HTTP"):
        load_config({**env, "WEBPUSH_ALLOW_HTTP": "true"})


# --- the endpoint guard --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://8.8.8.8/push/1",  # not https
        "https://127.0.0.1/push/1",  # loopback
        "https://localhost/push/1",
        "https://10.0.0.7/push/1",  # private
        "https://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
        "https://[::1]/push/1",
        "https://user:secret@8.8.8.8/push/1",
        "ftp://8.8.8.8/push/1",
    ],
)
def test_endpoints_into_the_servers_network_are_refused(client, alice, vapid, endpoint):
    body = {"endpoint": endpoint, "keys": KEYS}
    response = client.post(SUBSCRIPTIONS, json=body, headers=alice.headers)
    assert response.status_code == 400, response.get_json()
    assert "endpoint" in response.get_json()["details"]


def test_a_public_https_endpoint_is_saved_once_and_deleted(app, client, alice, vapid):
    body = {
        "endpoint": "https://8.8.8.8/push/abc",
        "keys": KEYS,
    }
    created = client.post(SUBSCRIPTIONS, json=body, headers=alice.headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["endpoint"] == body["endpoint"]
    again = client.post(SUBSCRIPTIONS, json=body, headers=alice.headers)
    assert again.status_code == 200 and again.get_json()["id"] == created.get_json()["id"]
    assert subscriptions_of(app, alice) == 1

    gone = client.delete(SUBSCRIPTIONS, json=body, headers=alice.headers)
    assert gone.status_code == 204
    assert client.delete(SUBSCRIPTIONS, json=body, headers=alice.headers).status_code == 404


def test_bad_keys_are_a_400(client, alice, vapid):
    body = {"endpoint": "https://8.8.8.8/push/abc", "keys": {"p256dh": "short", "auth": "!"}}
    response = client.post(SUBSCRIPTIONS, json=body, headers=alice.headers)
    assert response.status_code == 400
    errors = " ".join(response.get_json()["details"]["keys"])
    assert "p256dh" in errors and "auth" in errors


@pytest.mark.parametrize("auth", ["A" * 21, "A" * 22 + "=" * 3, "A" * 5, "A+/" * 8])
def test_an_auth_secret_that_is_not_16_bytes_of_base64url_is_a_400(client, alice, vapid, auth):
    body = {"endpoint": "https://8.8.8.8/push/abc", "keys": {**KEYS, "auth": auth}}
    response = client.post(SUBSCRIPTIONS, json=body, headers=alice.headers)
    assert response.status_code == 400, response.get_json()
    assert "auth" in " ".join(response.get_json()["details"]["keys"])


def test_a_p256dh_that_is_no_point_on_the_curve_is_a_400(client, alice, vapid):
    body = {
        "endpoint": "https://8.8.8.8/push/abc",
        "keys": {"p256dh": "BA" + "A" * 85, "auth": "A" * 22},
    }
    response = client.post(SUBSCRIPTIONS, json=body, headers=alice.headers)
    assert response.status_code == 400
    assert "p256dh" in " ".join(response.get_json()["details"]["keys"])


def test_at_most_ten_subscriptions_per_user(app, client, alice, push_service):
    for n in range(10):
        assert subscribe(client, alice, push_service.browser(f"a{n}")).status_code == 201
    response = subscribe(client, alice, push_service.browser("eleventh"))
    assert response.status_code == 400 and "endpoint" in response.get_json()["details"]
    assert subscriptions_of(app, alice) == 10


# --- sending -------------------------------------------------------------------------------------


def test_a_like_reaches_the_browser_encrypted_and_signed(client, alice, bob, push_service):
    browser = push_service.browser("alice-laptop")
    assert subscribe(client, alice, browser).status_code == 201
    post_id = new_post(client, alice)
    like(client, bob, post_id)

    push_service.wait_for(1)
    assert push_service.refused == []
    (delivery,) = push_service.deliveries
    assert delivery.payload["type"] == "notification"
    assert delivery.payload["unread_count"] == 1
    notification = delivery.payload["notification"]
    assert notification["type"] == "post_liked"
    assert notification["target"]["id"] == post_id
    assert [a["id"] for a in notification["actors"]] == [bob.id]
    assert delivery.claims["sub"] == SUBJECT
    assert int(delivery.headers["ttl"]) == 86400


def test_retractions_and_reads_are_not_pushed(client, alice, bob, push_service, announced):
    subscribe(client, alice, push_service.browser("alice"))
    like_id = like(client, bob, new_post(client, alice))
    push_service.wait_for(1)
    unlike(client, bob, like_id)
    client.post("/api/notifications/read/", json={"all": True}, headers=alice.headers)
    announced()
    assert len(push_service.deliveries) == 1


def test_a_user_with_an_open_socket_gets_events_not_pushes(
    client, alice, bob, push_service, sio, announced
):
    subscribe(client, alice, push_service.browser("alice"))
    socket = sio(alice)
    like(client, bob, new_post(client, alice))
    announced()
    assert push_service.deliveries == []
    assert "notification" in [packet["name"] for packet in socket.get_received(NAMESPACE)]

    socket.disconnect(namespace=NAMESPACE)
    like(client, bob, new_post(client, alice))
    assert len(push_service.wait_for(1)) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_service_says_is_gone_is_removed(
    app, client, alice, bob, push_service, announced, status
):
    gone, kept = push_service.browser("old-phone"), push_service.browser("laptop")
    push_service.answers["/push/old-phone"] = status
    subscribe(client, alice, gone)
    subscribe(client, alice, kept)
    like(client, bob, new_post(client, alice))
    push_service.wait_for(2)
    announced()
    with app.app_context():
        left = db.session.scalars(select(PushSubscription.endpoint)).all()
    assert left == [kept.endpoint]


def test_a_failing_push_service_keeps_the_subscription(
    app, client, alice, bob, push_service, announced
):
    push_service.answers["/push/flaky"] = 500
    subscribe(client, alice, push_service.browser("flaky"))
    like(client, bob, new_post(client, alice))
    push_service.wait_for(1)
    announced()
    assert subscriptions_of(app, alice) == 1


def test_the_push_is_sent_after_the_answer_never_in_the_requests_time(
    client, alice, bob, push_service
):
    push_service.delay = 1.5
    subscribe(client, alice, push_service.browser("slow"))
    post_id = new_post(client, alice)
    started = time.monotonic()
    like(client, bob, post_id)
    assert time.monotonic() - started < 1.0
    assert len(push_service.wait_for(1)) == 1
