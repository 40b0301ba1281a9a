"""Regression tests for the defects the trust tests found, one test (or a few) per defect."""

import re

import orjson
import pytest

from tests.accounts.helpers import public_url, update_user
from tests.realtime.support import received
from tests.support.chat import HISTORY, create_group, create_private, send
from tests.support.factories import block
from uzbekhub.accounts.models import User
from uzbekhub.chat import protocol
from uzbekhub.chat.events import bus
from uzbekhub.chat.namespace import NAMESPACE
from uzbekhub.chat.protocol import Peer
from uzbekhub.extensions import db


def test_a_signed_in_user_previews_their_own_public_profile(client, alice):
    signed_in = client.get(public_url(alice.username), headers=alice.headers)
    anonymous = client.get(public_url(alice.username))
    assert signed_in.status_code == anonymous.status_code == 200
    assert signed_in.get_json() == anonymous.get_json()


def test_a_private_users_own_public_profile_stays_hidden_like_for_anyone(client, app, alice):
    update_user(app, alice, is_private=True)
    assert client.get(public_url(alice.username), headers=alice.headers).status_code == 404
    assert client.get(public_url(alice.username)).status_code == 404


HUGE = 2**64


def test_an_id_beyond_32_bits_in_any_path_is_404_not_a_crash(app, client, alice):
    """Found by fuzzing: SQLite's driver overflowed on ids past 2**63 (a 500)."""
    rules = [r for r in app.url_map.iter_rules() if "int" in str(r) and r.rule.startswith("/api/")]
    assert len(rules) >= 10
    for rule in rules:
        path = re.sub(r"<[^>]+>", str(HUGE), rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method, headers=alice.headers, json={})
            assert response.status_code == 404, (method, path, response.get_data())
            assert response.get_json() == {"error": "Resource not found"}


def test_a_feed_owner_beyond_32_bits_is_a_400(client, alice):
    response = client.get(f"/api/posts/post/?owner={HUGE}", headers=alice.headers)
    assert response.status_code == 400
    assert "owner" in response.get_json()["details"]


def answers_match_the_document(app, client, account, requests) -> None:
    """Each (method, path template, url) answer validates against its OpenAPI entry."""
    import schemathesis

    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").get_json())
    for method, template, url in requests:
        response = client.open(url, method=method, headers=account.headers)
        assert response.status_code == 200, (url, response.get_data())
        schema[template][method].validate_response(response)


def test_answers_with_nulls_match_the_document(app, client, alice, bob):
    """Found by fuzzing: fields that may be null (no picture, never signed in, no location,
    no status, an unedited post, a root comment) were documented as never null."""
    post = client.post("/api/posts/post/", json={"content": "Hi"}, headers=alice.headers)
    comment = client.post(
        "/api/posts/comment/",
        json={"post": post.get_json()["id"], "comment": "Yo"},
        headers=alice.headers,
    )
    assert comment.status_code == 201
    post_id = post.get_json()["id"]
    answers_match_the_document(
        app,
        client,
        alice,
        [
            ("GET", "/api/accounts/account/profile/", "/api/accounts/account/profile/"),
            ("GET", "/api/accounts/account/user/{pk}/", f"/api/accounts/account/user/{bob.id}/"),
            ("GET", "/api/posts/post/{post_id}/", f"/api/posts/post/{post_id}/"),
            ("GET", "/api/posts/{post_id}/comments/", f"/api/posts/{post_id}/comments/"),
        ],
    )


def test_bodies_without_required_fields_are_documented_as_optional(client, alice):
    """Found by fuzzing: an empty PATCH of the profile is answered 200 (nothing changes),
    yet the document said the body was required."""
    spec = client.get("/openapi.json").get_json()
    patch = spec["paths"]["/api/accounts/account/profile/"]["patch"]
    assert patch["requestBody"]["required"] is False
    assert spec["paths"]["/api/accounts/auth/signin/"]["post"]["requestBody"]["required"] is True
    assert client.patch("/api/accounts/account/profile/", headers=alice.headers).status_code == 200


def test_a_json_boolean_must_be_true_or_false(client, alice):
    """Found by fuzzing: `"is_private": 0` was taken as false, though documented as boolean."""
    for value in (0, 1, "true", None):
        response = client.patch(
            "/api/accounts/account/profile/", json={"is_private": value}, headers=alice.headers
        )
        assert response.status_code == 400, value
        assert "is_private" in response.get_json()["details"]
    ok = client.patch(
        "/api/accounts/account/profile/", json={"is_private": True}, headers=alice.headers
    )
    assert ok.status_code == 200 and ok.get_json()["is_private"] is True


def test_a_form_boolean_is_still_a_word(client, alice):
    response = client.patch(
        "/api/accounts/account/profile/",
        data={"is_private": "true"},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.get_json()["is_private"] is True


def test_a_chat_file_cannot_be_fetched_around_its_guard(client, alice, bob):
    """Found while reviewing media serving: `/media/x/../chat_files/<sha>.pdf` named the
    guarded folder while the guard looked at `x`, so anyone who knew a file's SHA-256 could
    fetch a private chat file."""
    import io

    uploaded = client.post(
        "/api/chat/files/",
        data={"file": (io.BytesIO(b"%PDF-1.4 private"), "a.pdf"), "file_type": "document"},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    path = uploaded.get_json()["file"].split("/media/", 1)[1]
    name = path.split("/", 1)[1]
    assert client.get(f"/media/{path}", headers=alice.headers).status_code == 200
    assert client.get(f"/media/{path}", headers=bob.headers).status_code == 404
    for sneaky in (
        f"posts/../chat_files/{name}",
        f"posts/%2e%2e/chat_files/{name}",
        f"stories/..%2fchat_files/{name}",
        f"./chat_files/{name}",
        f"chat_files/./{name}",
        f"profile_pictures/../../media/chat_files/{name}",
    ):
        response = client.get(f"/media/{sneaky}", headers=bob.headers)
        assert response.status_code == 404, sneaky
        assert b"private" not in response.get_data()


# --- the real-time protocol (found by tests/trust/test_fuzz_websocket.py) ------------------------


class _Peer(Peer):
    def end(self, code, reason):
        self.ended = True


def frame_answer(app, account, frame) -> dict | None:
    """The reply a plain-WebSocket connection of `account` gets for `frame`."""
    with app.test_request_context():
        peer = _Peer(protocol.authenticate(account.access))
        return protocol.handle_frame(peer, orjson.dumps(frame).decode())


def test_a_frame_error_in_a_list_item_is_a_list_of_sentences(app, client, alice):
    """Found by fuzzing: `"files": [1, "x"]` was answered `"details": {"files": {"1": [...]}}`,
    not the documented `{"field": ["sentence"]}`."""
    room = create_group(client, alice, name="Team")
    error = frame_answer(
        app, alice, {"type": "chat_message", "room_id": room, "message": "x", "files": [1, "x"]}
    )
    assert error == {
        "type": "error",
        "error": protocol.INVALID,
        "details": {"files": ["Item 1: Not a valid integer."]},
    }


def replies(client) -> list[dict]:
    return received(client)


def test_a_socketio_event_with_more_than_one_argument_is_answered(app, client, alice, sio):
    """Found by fuzzing: a second argument made the handler raise TypeError: no answer, a
    traceback in the log. The frame is the first argument; the rest are ignored."""
    room = create_group(client, alice, name="Team")
    alice_socket = sio(alice)
    alice_socket.emit("ping", {}, "extra", namespace=NAMESPACE)
    alice_socket.emit("read", {"message_id": "nope"}, 2, namespace=NAMESPACE)
    alice_socket.emit("chat_message", {"room_id": room, "message": "hi"}, [3], namespace=NAMESPACE)
    pong, error, message = replies(alice_socket)
    assert pong == {"type": "pong"}
    assert error["details"] == {"message_id": ["Not a valid UUID."]}
    assert message["type"] == "chat_message" and message["message"]["text"] == "hi"


@pytest.mark.parametrize("event", ["connect", "disconnect"])
def test_a_client_event_named_like_the_connections_own_is_an_unknown_frame(
    app, client, alice, sio, event
):
    """Found by fuzzing: a client's event named "disconnect" ran the disconnect handler, so
    the connection stayed open but ignored every later frame; one named "connect" ran the
    connect handler again (a traceback, no answer)."""
    room = create_group(client, alice, name="Team")
    alice_socket = sio(alice)
    alice_socket.emit(event, {"token": alice.access}, namespace=NAMESPACE)
    alice_socket.emit(event, namespace=NAMESPACE)
    alice_socket.emit(
        "chat_message", {"room_id": room, "message": "still here"}, namespace=NAMESPACE
    )
    first, second, message = replies(alice_socket)
    assert first == second
    assert first["error"] == protocol.UNKNOWN_TYPE
    assert message["type"] == "chat_message" and message["message"]["text"] == "still here"
    assert alice_socket.is_connected(NAMESPACE)
    alice_socket.disconnect(namespace=NAMESPACE)
    with app.app_context():
        assert db.session.get(User, alice.id).last_online is not None


def test_a_file_id_past_64_bits_in_a_frame_is_a_field_error(app, client, alice):
    """Found by fuzzing: `"files": [9223372036854775808]` crashed on SQLite (OverflowError,
    "Internal server error occurred"). File ids are 32-bit, as in REST bodies."""
    room = create_group(client, alice, name="Team")
    for file_id in (2**63, 2**64 - 1, 2**31, 0, -(2**63)):
        error = frame_answer(
            app,
            alice,
            {"type": "chat_message", "room_id": room, "message": "x", "files": [file_id]},
        )
        assert error["error"] == protocol.INVALID, (file_id, error)
        assert list(error["details"]) == ["files"], (file_id, error)


def test_a_null_character_in_a_message_is_a_field_error(app, client, alice):
    """Found by fuzzing: a message with U+0000 crashed on PostgreSQL ("Internal server error
    occurred": text cannot hold it) and was stored on SQLite. Refused on both now."""
    room = create_group(client, alice, name="Team")
    sent = frame_answer(app, alice, {"type": "chat_message", "room_id": room, "message": "a\x00b"})
    assert sent == {
        "type": "error",
        "error": protocol.INVALID,
        "details": {"message": ["Messages may not contain null characters."]},
    }
    message_id = send(app, alice, room, "fine")
    edit = {"type": "edit_message", "message_id": message_id, "message": "\x00"}
    assert frame_answer(app, alice, edit) == sent
    history = client.get(HISTORY.format(room), headers=alice.headers).get_json()
    assert [m["text"] for m in history["results"]] == ["fine"]


def test_is_typing_must_be_a_json_boolean(app, client, alice):
    """Found by fuzzing: `"is_typing": 1` (or "yes", "on", 0...) was taken, though frames are
    JSON and JSON booleans are `true`/`false` everywhere else (README, Trust)."""
    room = create_group(client, alice, name="Team")
    for value in (1, 0, "true", "yes", "on", "1"):
        error = frame_answer(app, alice, {"type": "typing", "room_id": room, "is_typing": value})
        assert error is not None and list(error["details"]) == ["is_typing"], value
    assert frame_answer(app, alice, {"type": "typing", "room_id": room, "is_typing": True}) is None


def test_typing_does_not_cross_a_block(app, client, alice, bob):
    """Found while writing the fuzzer's model of the rules: a user blocked in a private room
    could not send a message there, but "is typing" still reached the user who blocked them."""
    room = create_private(client, alice, bob)
    block(app, bob, alice)
    recorded = []
    unsubscribe = bus(app).subscribe(recorded.append)
    try:
        for typist in (alice, bob):
            frame = {"type": "typing", "room_id": room, "is_typing": True}
            assert frame_answer(app, typist, frame) == {
                "type": "error",
                "error": "You cannot message this user.",
            }
    finally:
        unsubscribe()
    assert recorded == []


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("post", "/api/posts/post/", {"content": "a\x00b"}, "content"),
        ("patch", "/api/accounts/account/profile/", {"first_name": "a\x00b"}, "first_name"),
        ("post", "/api/chat/rooms/", {"room_type": "group", "name": "\x00", "members": []}, "name"),
        ("post", "/api/accounts/auth/signin/", {"email": "a\x00@x.com", "password": "x"}, "email"),
        ("get", "/api/accounts/account/check/username/?username=a%00b", None, "username"),
    ],
)
def test_a_null_character_in_rest_input_is_a_field_error(client, alice, method, url, body, field):
    """Found while fixing the same in chat frames: U+0000 in any text field was a 500 on
    PostgreSQL (and stored on SQLite)."""
    response = client.open(url, method=method.upper(), json=body, headers=alice.headers)
    assert response.status_code == 400
    assert response.get_json()["details"] == {field: ["Null characters are not allowed."]}


def test_a_null_character_in_a_path_names_nothing(client, alice):
    for url in ("/api/accounts/account/search/a%00b/", "/api/accounts/account/profile/a%00b/"):
        response = client.get(url, headers=alice.headers)
        assert response.status_code == 404, url
        assert response.get_json() == {"error": "Resource not found"}


def test_an_unknown_query_parameter_with_a_null_character_is_still_ignored(client):
    assert client.get("/api/comments/comment?x=%00").status_code == 200
