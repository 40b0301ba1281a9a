"""A deleted account leaves the notifications of others like any retraction: what it did and
what it owned go, and the recipients hear it on their sockets, on both transports."""

import pytest

from tests.accounts.helpers import DELETE_CONFIRM
from tests.notifications.conftest import results_of, unread_of
from tests.notifications.test_live import events_of, live_like, live_post
from tests.realtime.support import http
from tests.support.posts import comment, like, new_post

DELETE_REQUEST = "/api/accounts/account/delete/"


@pytest.fixture
def carol(make_account):
    return make_account("carol@example.com", first_name="Carol")


def delete_account(client, account, mail_catcher) -> None:
    client.post(DELETE_REQUEST, json={"password": account.password}, headers=account.headers)
    code = mail_catcher.code_for(account.email)
    response = client.post(DELETE_CONFIRM, json={"code": code}, headers=account.headers)
    assert response.status_code == 204, response.get_json()


def test_deleting_an_account_regroups_and_removes_the_others_notifications(
    client, alice, bob, carol, sio, announced, mail_catcher
):
    alone, shared = new_post(client, alice, "alone"), new_post(client, alice, "shared")
    like(client, bob, alone)
    like(client, carol, shared)
    like(client, bob, shared)
    bobs_post = new_post(client, bob, "Bob's")
    comment(client, carol, bobs_post, f"@{alice.username} look")  # goes with Bob's post
    ids = {(n["type"], n["target"]["id"]): n["id"] for n in results_of(client, alice)}
    assert len(ids) == 3
    announced()
    socket = sio(alice)

    delete_account(client, bob, mail_catcher)
    announced()
    events = events_of(socket)
    removed = {e["id"] for e in events if e["type"] == "notification_removed"}
    assert removed == {ids[("post_liked", alone)], ids[("mentioned", _comment_of(ids))]}
    (regrouped,) = [e["notification"] for e in events if e["type"] == "notification"]
    assert regrouped["id"] == ids[("post_liked", shared)]
    assert regrouped["actor_count"] == 1 and [a["id"] for a in regrouped["actors"]] == [carol.id]
    assert events[-1] == {"type": "notification_count", "unread_count": 1}
    assert [n["id"] for n in results_of(client, alice)] == [regrouped["id"]]
    assert unread_of(client, alice) == 1


def _comment_of(ids: dict) -> str:
    (target,) = [target for kind, target in ids if kind == "mentioned"]
    return target


def test_the_deleted_account_is_heard_on_both_transports(
    live_server, clients, alice, bob, mail_catcher
):
    ws = clients.ws(live_server, alice)
    sio_client = clients.sio(live_server, alice)
    sio_client.quiet()
    post_id = live_post(live_server, alice)
    live_like(live_server, bob, post_id)
    created = ws.next(notifications=True)
    assert created["type"] == "notification"
    assert ws.next(notifications=True)["type"] == "notification_count"
    assert sio_client.notifications.get(timeout=5)["type"] == "notification"
    assert sio_client.notifications.get(timeout=5)["type"] == "notification_count"

    status, _ = http(
        "POST", f"{live_server}{DELETE_REQUEST}", {"password": bob.password}, bob.access
    )
    assert status == 200
    code = mail_catcher.code_for(bob.email)
    status, _ = http("POST", f"{live_server}{DELETE_CONFIRM}", {"code": code}, bob.access)
    assert status == 204

    gone = {"type": "notification_removed", "id": created["notification"]["id"]}
    count = {"type": "notification_count", "unread_count": 0}
    assert [ws.next(notifications=True), ws.next(notifications=True)] == [gone, count]
    assert [sio_client.notifications.get(timeout=5) for _ in range(2)] == [gone, count]
