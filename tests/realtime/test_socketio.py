"""The /chat Socket.IO namespace through Flask-SocketIO's test client (in this process):
each rule from the sender's, another member's, an outsider's and an anonymous side."""

import io
from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import update

from tests.realtime.support import NAMESPACE, of_kind, online_after, received, wait_until
from tests.support.chat import HISTORY, create_private, member_action, room_url
from tests.support.factories import block
from uzbekhub.accounts.models import User
from uzbekhub.chat import message_services, protocol
from uzbekhub.chat.delivery import hub
from uzbekhub.common.db import utcnow
from uzbekhub.extensions import db

LOGOUT = "/api/accounts/auth/logout/"
REFRESH = "/api/accounts/auth/token/refresh/"
PROFILE = "/api/accounts/account/profile/"
ADMIN_USER = "/api/accounts/admin/user/{}/"


def emit(client, event, data=None):
    client.emit(event, data, namespace=NAMESPACE)


def send(client, room, text="Salom!", **fields):
    emit(client, "chat_message", {"room_id": room, "message": text, **fields})


def connected(client) -> bool:
    return client.is_connected(NAMESPACE)


def history(client, room, account) -> list[dict]:
    return client.get(HISTORY.format(room), headers=account.headers).get_json()["results"]


def unread(client, room, account) -> int:
    return client.get(room_url(room), headers=account.headers).get_json()["unread_count"]


def the_error(client) -> dict:
    (frame,) = received(client)
    assert frame["type"] == "error", frame
    return frame


def still_usable(client) -> None:
    emit(client, "ping")
    assert received(client) == [{"type": "pong"}]


def expired_token(app, account) -> str:
    with app.app_context():
        return create_access_token(
            str(account.id),
            additional_claims={"ver": 0, "sid": "x"},
            expires_delta=timedelta(seconds=-1),
        )


# --- connecting ---------------------------------------------------------------------------------


def test_an_access_token_connects(sio, team):
    assert connected(sio(team.member))


@pytest.mark.parametrize("kind", ["missing", "garbage", "refresh", "expired", "logged_out"])
def test_a_bad_token_is_refused(app, client, sio, team, kind):
    token = {
        "missing": "",
        "garbage": "not-a-token",
        "refresh": team.member.refresh,
        "expired": expired_token(app, team.member),
        "logged_out": team.member.access,
    }[kind]
    if kind == "logged_out":
        client.post(LOGOUT, json={"refresh": team.member.refresh})
    assert not connected(sio(token=token))


def test_a_deleted_users_token_is_refused(client, sio, team, make_account):
    staff = make_account(is_staff=True)
    assert (
        client.delete(ADMIN_USER.format(team.member.id), headers=staff.headers).status_code == 204
    )
    assert not connected(sio(team.member))


def test_a_draining_server_refuses_connections_and_frames(app, sio, team):
    member = sio(team.member)
    hub(app).draining = True
    try:
        assert not connected(sio(team.owner))
        send(member, team.room)
        assert the_error(member)["error"] == protocol.SHUTTING_DOWN
    finally:
        hub(app).draining = False


# --- events -------------------------------------------------------------------------------------


def test_a_message_reaches_every_member_the_sender_too_as_history_shows_it(client, sio, team):
    owner, member, outsider = sio(team.owner), sio(team.member), sio(team.outsider)
    send(member, team.room, "Salom!")
    (in_history,) = history(client, team.room, team.owner)
    assert in_history["text"] == "Salom!"
    expected = [{"type": "chat_message", "message": in_history}]
    assert received(owner) == expected
    assert received(member) == expected
    assert received(outsider) == []


def test_a_whole_frame_may_come_as_a_message_event_object_or_json(client, sio, team):
    owner, member = sio(team.owner), sio(team.member)
    emit(member, "message", {"type": "chat_message", "room_id": team.room, "message": "one"})
    emit(member, "message", f'{{"type":"chat_message","room_id":"{team.room}","message":"two"}}')
    assert [f["message"]["text"] for f in received(owner)] == ["one", "two"]
    assert len(received(member)) == 2


def test_files_and_replies_travel_with_the_message(client, sio, team):
    member = sio(team.member)
    upload = client.post(
        "/api/chat/files/",
        data={"file": (io.BytesIO(b"notes"), "notes.txt"), "file_type": "document"},
        headers=team.member.headers,
        content_type="multipart/form-data",
    )
    file_id = upload.get_json()["id"]
    send(member, team.room, "first")
    (first,) = received(member)
    send(member, team.room, "", files=[file_id], reply_to=first["message"]["id"])
    (second,) = received(member)
    assert second["message"]["reply_to"] == first["message"]["id"]
    assert [a["id"] for a in second["message"]["attachments"]] == [file_id]
    (record,) = client.get("/api/chat/files/", headers=team.member.headers).get_json()
    assert record["is_temporary"] is False


def test_edits_and_deletions_reach_the_others(client, sio, team):
    owner, member, outsider = sio(team.owner), sio(team.member), sio(team.outsider)
    send(member, team.room, "typo")
    message_id = received(member)[0]["message"]["id"]
    received(owner)
    emit(member, "edit_message", {"message_id": message_id, "message": "fixed"})
    (edited,) = received(owner)
    assert edited["type"] == "message_edited"
    assert edited["message"] == history(client, team.room, team.owner)[0]
    assert (edited["message"]["text"], edited["message"]["is_edited"]) == ("fixed", True)
    emit(member, "delete_message", {"message_id": message_id})
    deleted = {"type": "message_deleted", "room": team.room, "message_id": message_id}
    assert received(owner) == [deleted]
    assert received(member)[-1] == deleted
    assert received(outsider) == []
    assert history(client, team.room, team.owner) == []


def test_typing_reaches_the_others_but_none_of_the_typists_connections(sio, team):
    owner, member, member_again, outsider = (
        sio(team.owner),
        sio(team.member),
        sio(team.member),
        sio(team.outsider),
    )
    emit(member, "typing", {"room_id": team.room, "is_typing": True})
    (typing,) = received(owner)
    assert typing["type"] == "user_typing"
    assert (typing["room"], typing["is_typing"]) == (team.room, True)
    assert typing["user"]["id"] == team.member.id
    assert set(typing["user"]) == {"id", "username", "full_name", "profile_picture"}
    assert received(member) == received(member_again) == received(outsider) == []


def test_repeated_typing_is_sent_once_but_a_change_goes_out_at_once(sio, team):
    owner, member = sio(team.owner), sio(team.member)
    for state in (True, True, True, False, False, True):
        emit(member, "typing", {"room_id": team.room, "is_typing": state})
    assert [f["is_typing"] for f in received(owner)] == [True, False, True]
    assert received(member) == []


def test_read_tells_the_room_and_moves_the_unread_count(client, sio, team):
    owner, member = sio(team.owner), sio(team.member)
    send(owner, team.room, "one")
    send(owner, team.room, "two")
    first, second = (f["message"]["id"] for f in received(owner))
    received(member)
    assert unread(client, team.room, team.member) == 2
    emit(member, "read", {"message_id": first})
    (read,) = received(owner)
    assert read["type"] == "message_read"
    assert (read["room"], read["message_id"], read["user"]["id"]) == (
        team.room,
        first,
        team.member.id,
    )
    assert read["read_at"].endswith("Z")
    assert received(member) == [read]
    assert unread(client, team.room, team.member) == 1
    emit(member, "read", {"message_id": second})
    assert unread(client, team.room, team.member) == 0
    received(owner)
    emit(member, "read", {"message_id": first})
    # The marker never goes back: nothing changed, nothing is announced.
    assert received(owner) == []
    assert unread(client, team.room, team.member) == 0


def test_room_changes_over_rest_reach_the_members(client, sio, team, make_account):
    owner, member = sio(team.owner), sio(team.member)
    newcomer = make_account(first_name="Nodira")
    newcomer_socket = sio(newcomer)
    assert member_action(client, team.owner, team.room, "add_member", newcomer).status_code == 200
    (added,) = received(newcomer_socket)
    assert added["type"] == "member_added"
    assert added["member"]["user"]["id"] == newcomer.id
    send(member, team.room, "welcome")
    assert of_kind(received(newcomer_socket), "chat_message")
    cleared = client.post(f"{room_url(team.room)}clear_messages/", headers=team.owner.headers)
    assert cleared.status_code == 200
    assert {"type": "room_cleared", "room": team.room} in received(member)
    assert client.delete(room_url(team.room), headers=team.owner.headers).status_code == 204
    deleted = {"type": "room_deleted", "room": team.room}
    for socket in (owner, member, newcomer_socket):
        assert deleted in received(socket)


def test_a_removed_member_is_told_and_then_hears_nothing(client, sio, team):
    owner, member = sio(team.owner), sio(team.member)
    response = member_action(client, team.owner, team.room, "remove_member", team.member)
    assert response.status_code == 200
    (removed,) = received(member)
    assert removed == {
        "type": "member_removed",
        "room": team.room,
        "user": removed["user"],
    }
    assert removed["user"]["id"] == team.member.id
    received(owner)
    send(owner, team.room, "without you")
    assert of_kind(received(owner), "chat_message")
    assert received(member) == []


# --- bad frames ---------------------------------------------------------------------------------

ROOM = "{room}"


@pytest.mark.parametrize(
    ("event", "data", "field"),
    [
        ("chat_message", {"message": "no room"}, "room_id"),
        ("chat_message", {"room_id": "not-a-uuid", "message": "x"}, "room_id"),
        ("chat_message", {"room_id": ROOM, "message": 5}, "message"),
        ("chat_message", {"room_id": ROOM, "message": "x", "files": "1"}, "files"),
        ("chat_message", {"room_id": ROOM, "message": "x", "files": ["a"]}, "files"),
        ("chat_message", {"room_id": ROOM, "message": "x", "reply_to": "nope"}, "reply_to"),
        ("chat_message", {"room_id": ROOM, "message": "x" * 4001}, "message"),
        ("chat_message", {"room_id": ROOM, "message": "x" * 1_000_000}, "message"),
        ("chat_message", {"room_id": ROOM, "message": "   "}, "message"),
        ("chat_message", {"room_id": ROOM, "message": "x", "files": [999]}, "files"),
        ("edit_message", {"message_id": "nope", "message": "x"}, "message_id"),
        ("edit_message", {"message": "x"}, "message_id"),
        ("delete_message", {"message_id": 7}, "message_id"),
        ("typing", {"room_id": ROOM, "is_typing": "maybe"}, "is_typing"),
        ("typing", {"room_id": ROOM}, "is_typing"),
        ("read", {}, "message_id"),
    ],
)
def test_invalid_frames_get_field_errors_and_the_connection_stays(sio, team, event, data, field):
    member = sio(team.member)
    data = {k: team.room if v == ROOM else v for k, v in data.items()}
    emit(member, event, data)
    error = the_error(member)
    assert error["error"] == protocol.INVALID
    assert field in error["details"], error
    still_usable(member)


@pytest.mark.parametrize(
    ("event", "data", "sentence"),
    [
        ("chat_message", "just text", protocol.NOT_JSON),
        ("chat_message", ["a", "list"], protocol.NOT_JSON),
        ("dance", {"room_id": "x"}, protocol.UNKNOWN_TYPE),
        ("message", "not json", protocol.NOT_JSON),
        ("message", {"type": "dance"}, protocol.UNKNOWN_TYPE),
        ("message", {"no": "type"}, protocol.UNKNOWN_TYPE),
    ],
)
def test_frames_that_are_no_frames_get_an_error_and_the_connection_stays(
    sio, team, event, data, sentence
):
    member = sio(team.member)
    emit(member, event, data)
    assert the_error(member)["error"] == sentence
    still_usable(member)


def test_an_outsider_cannot_send_edit_or_read_in_the_room(client, sio, team):
    owner, outsider = sio(team.owner), sio(team.outsider)
    send(owner, team.room, "members only")
    message_id = received(owner)[0]["message"]["id"]
    send(outsider, team.room, "let me in")
    assert the_error(outsider)["details"] == {"room_id": [protocol.NOT_FOUND["room_id"]]}
    for event in ("edit_message", "delete_message", "read"):
        emit(outsider, event, {"message_id": message_id, "message": "x"})
        assert the_error(outsider)["details"] == {"message_id": [protocol.NOT_FOUND["message_id"]]}
    emit(outsider, "typing", {"room_id": team.room, "is_typing": True})
    assert "room_id" in the_error(outsider)["details"]
    assert received(owner) == []
    assert [m["text"] for m in history(client, team.room, team.owner)] == ["members only"]


def test_rules_of_the_services_answer_with_their_sentence(client, sio, team, alice, bob):
    owner, member = sio(team.owner), sio(team.member)
    send(owner, team.room, "mine")
    message_id = received(owner)[0]["message"]["id"]
    received(member)
    emit(member, "edit_message", {"message_id": message_id, "message": "yours"})
    assert the_error(member) == {"type": "error", "error": "Only the sender edits a message."}
    room = create_private(client, alice, bob)
    block(client.application, bob, alice)
    blocked = sio(alice)
    send(blocked, room, "hello?")
    assert the_error(blocked)["error"] == "You cannot message this user."


def test_a_failing_service_answers_a_server_error_and_the_connection_stays(sio, team, monkeypatch):
    member = sio(team.member)

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(message_services, "send_message", broken)
    send(member, team.room)
    assert the_error(member) == {"type": "error", "error": protocol.SERVER_ERROR}
    still_usable(member)


def test_frames_over_the_rate_get_an_error_saying_how_long_to_wait(app, sio, team, monkeypatch):
    monkeypatch.setitem(app.config, "CHAT_FRAME_BURST", 3)
    monkeypatch.setitem(app.config, "CHAT_FRAMES_PER_SECOND", 0.5)
    member, owner = sio(team.member), sio(team.owner)
    for _ in range(3):
        still_usable(member)
    send(member, team.room)
    error = the_error(member)
    assert error["error"] == protocol.THROTTLED
    assert error["wait_seconds"] == 2
    assert received(owner) == []
    still_usable(owner)


# --- ending sessions ----------------------------------------------------------------------------


def queued(client) -> list[dict]:
    """What a test client received, also after it was disconnected."""
    return [packet["args"][0] for packet in client.queue if packet["namespace"] == NAMESPACE]


def assert_ended(client) -> None:
    assert wait_until(lambda: not connected(client))
    assert queued(client)[-1] == {
        "type": "error",
        "error": protocol.SESSION_ENDED,
        "code": protocol.BAD_TOKEN,
    }


def test_logging_out_ends_the_connections_of_that_session_only(client, sio, team):
    member, owner = sio(team.member), sio(team.owner)
    other_session = client.post(
        "/api/accounts/auth/signin/",
        json={"email": team.member.email, "password": team.member.password},
    ).get_json()["token"]
    member_elsewhere = sio(token=other_session["access"])
    assert client.post(LOGOUT, json={"refresh": team.member.refresh}).status_code == 200
    assert_ended(member)
    assert connected(member_elsewhere) and connected(owner)
    still_usable(member_elsewhere)


def test_a_rotated_session_goes_on_until_it_logs_out(client, sio, team):
    member, owner = sio(team.member), sio(team.owner)
    pair = client.post(REFRESH, json={"refresh": team.member.refresh}).get_json()
    # The owner's logout is announced after the rotation: once it has ended the owner's
    # connection, the rotation has reached the member's.
    client.post(LOGOUT, json={"refresh": team.owner.refresh})
    assert_ended(owner)
    assert connected(member)
    still_usable(member)
    assert client.post(LOGOUT, json={"refresh": pair["refresh"]}).status_code == 200
    assert_ended(member)


def test_a_password_change_ends_every_connection_of_the_user(client, sio, team):
    first, second, owner = sio(team.member), sio(team.member), sio(team.owner)
    response = client.patch(
        PROFILE, json={"password": "brand-new-pass"}, headers=team.member.headers
    )
    assert response.status_code == 200
    assert_ended(first)
    assert_ended(second)
    assert connected(owner)


def test_deleting_an_account_ends_its_connections(client, sio, team, make_account):
    member, owner = sio(team.member), sio(team.owner)
    staff = make_account(is_staff=True)
    assert (
        client.delete(ADMIN_USER.format(team.member.id), headers=staff.headers).status_code == 204
    )
    assert_ended(member)
    assert connected(owner)


def test_a_token_made_stale_behind_the_servers_back_ends_at_the_next_frame(app, sio, team):
    member = sio(team.member)
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id == team.member.id)
            .values(token_version=User.token_version + 5)
        )
        db.session.commit()
    emit(member, "ping")
    assert_ended(member)


def test_disconnecting_saves_last_online(app, sio, team):
    member = sio(team.member)
    connected_at = utcnow()
    member.disconnect(namespace=NAMESPACE)
    assert online_after(app, team.member.id, connected_at)
