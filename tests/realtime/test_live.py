"""The real server (`python wsgi.py` under eventlet) with real clients: a browser-style plain
WebSocket (websocket-client) and python-socketio's client, talking to each other."""

import io
import json
import os
import signal
import time
import uuid
from datetime import timedelta

import pytest
import socketio
import websocket
from flask_jwt_extended import create_access_token

from tests.realtime.support import (
    Closed,
    SioClient,
    close_of,
    http,
    online_after,
    refusal_of,
    wait_until,
    ws_url,
)
from tests.support.chat import HISTORY, MEMBERS, create_group, room_url
from uzbekhub.chat import protocol
from uzbekhub.common.db import utcnow

LOGOUT = "/api/accounts/auth/logout/"
PROFILE = "/api/accounts/account/profile/"
ADMIN_USER = "/api/accounts/admin/user/{}/"


def chat(text: str, room=None, **fields) -> dict:
    frame = {"type": "chat_message", "message": text, "reply_to": None, "files": []}
    if room is not None:
        frame["room_id"] = room
    return {**frame, **fields}


def history(base: str, room, account) -> list[dict]:
    status, body = http("GET", base + HISTORY.format(room), token=account.access)
    assert status == 200, body
    return body["results"]


def session_ended(sio_client) -> None:
    assert sio_client.expect("error") == {
        "type": "error",
        "error": protocol.SESSION_ENDED,
        "code": protocol.BAD_TOKEN,
    }
    assert sio_client.next() == ("disconnect", None)


# --- two transports, one conversation -----------------------------------------------------------


def test_a_plain_websocket_client_and_a_socketio_client_chat(live_server, clients, team):
    browser = clients.ws(live_server, team.member, room=team.room)
    app_client = clients.sio(live_server, team.owner)
    browser.send(chat("Salom from the browser"))
    acknowledged = browser.expect("chat_message")
    assert app_client.expect("chat_message") == acknowledged
    assert acknowledged["message"] == history(live_server, team.room, team.owner)[0]
    app_client.emit("chat_message", {"room_id": team.room, "message": "Salom from the app"})
    from_app = browser.expect("chat_message")
    assert from_app["message"]["text"] == "Salom from the app"
    assert app_client.expect("chat_message") == from_app
    assert from_app["message"]["sender"]["id"] == team.owner.id


def test_edits_deletions_typing_and_reads_reach_the_others(live_server, clients, team):
    owner = clients.ws(live_server, team.owner)
    member = clients.sio(live_server, team.member)
    outsider_ws, outsider_sio = (
        clients.ws(live_server, team.outsider),
        clients.sio(live_server, team.outsider),
    )
    owner.send(chat("typo", team.room))
    message = owner.expect("chat_message")["message"]
    assert member.expect("chat_message")["message"] == message

    member.emit("typing", {"room_id": team.room, "is_typing": True})
    typing = owner.expect("user_typing")
    assert (typing["user"]["id"], typing["is_typing"]) == (team.member.id, True)

    member.emit("read", {"message_id": message["id"]})
    read = owner.expect("message_read")
    assert (read["message_id"], read["user"]["id"]) == (message["id"], team.member.id)
    assert member.expect("message_read") == read

    owner.send({"type": "edit_message", "message_id": message["id"], "message": "fixed"})
    edited = owner.expect("message_edited")
    assert edited["message"]["text"] == "fixed"
    assert member.expect("message_edited") == edited

    owner.send({"type": "delete_message", "message_id": message["id"]})
    deleted = {"type": "message_deleted", "room": team.room, "message_id": message["id"]}
    assert owner.expect("message_deleted") == deleted
    assert member.expect("message_deleted") == deleted

    # The typist heard nothing of its own typing; outsiders heard nothing at all.
    member.quiet()
    outsider_ws.quiet()
    outsider_sio.quiet()


def test_files_are_attached_and_kept(live_server, client, clients, team):
    uploaded = client.post(
        "/api/chat/files/",
        data={"file": (io.BytesIO(b"minutes"), "minutes.txt"), "file_type": "document"},
        headers=team.member.headers,
        content_type="multipart/form-data",
    ).get_json()
    member = clients.ws(live_server, team.member)
    member.send(chat("", team.room, files=[uploaded["id"]]))
    (attachment,) = member.expect("chat_message")["message"]["attachments"]
    assert attachment["id"] == uploaded["id"]
    status, files = http("GET", live_server + "/api/chat/files/", token=team.member.access)
    assert [(f["id"], f["is_temporary"]) for f in files] == [(uploaded["id"], False)]


# --- opening and closing ------------------------------------------------------------------------


def expired(app, account) -> str:
    with app.app_context():
        return create_access_token(
            str(account.id),
            additional_claims={"ver": 0, "sid": "x"},
            expires_delta=timedelta(seconds=-1),
        )


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("no token", 4401),
        ("garbage token", 4401),
        ("refresh token", 4401),
        ("expired token", 4401),
        ("logged out", 4401),
        ("bad token, foreign room", 4401),
        ("not a member", 4403),
        ("unknown room", 4404),
        ("room id that is no uuid", 4404),
    ],
)
def test_close_codes(app, live_server, clients, team, case, code):
    room, token = None, team.outsider.access
    if case == "no token":
        token = ""
    elif case == "garbage token":
        token = "garbage"
    elif case == "refresh token":
        token = team.outsider.refresh
    elif case == "expired token":
        token = expired(app, team.outsider)
    elif case == "logged out":
        assert http("POST", live_server + LOGOUT, {"refresh": team.outsider.refresh})[0] == 200
    elif case == "bad token, foreign room":
        room, token = team.room, "garbage"
    elif case == "not a member":
        room = team.room
    elif case == "unknown room":
        room = uuid.uuid4()
    elif case == "room id that is no uuid":
        room = "nope"
    socket_ = clients.ws(live_server, room=room, token=token, ready=False)
    assert socket_.closed().code == code


def test_the_token_may_come_in_the_query_string(live_server, clients, team):
    member = clients.ws(live_server, team.member, room=team.room, in_query=True)
    member.send(chat("from a browser"))
    assert member.expect("chat_message")["message"]["text"] == "from a browser"


def test_the_room_path_works_without_its_trailing_slash(live_server, team):
    url = ws_url(live_server, team.room).rstrip("/") + f"?token={team.member.access}"
    connection = websocket.create_connection(url, timeout=5)
    try:
        connection.send('{"type":"ping"}')
        # The member's notification of being added to the group may come first.
        frames = [json.loads(connection.recv())]
        while frames[-1]["type"] in ("notification", "notification_count"):
            frames.append(json.loads(connection.recv()))
        assert frames[-1] == {"type": "pong"}
    finally:
        connection.close()


def test_socketio_refuses_a_bad_token_with_the_reason_and_code(live_server, team):
    with pytest.raises(socketio.exceptions.ConnectionError):
        SioClient(live_server, "garbage")
    assert refusal_of(live_server, "garbage") == {
        "message": "Token is invalid.",
        "data": {"code": 4401},
    }


def test_logging_out_closes_that_sessions_sockets_only(live_server, clients, team):
    ws, sio = clients.ws(live_server, team.member), clients.sio(live_server, team.member)
    owner = clients.ws(live_server, team.owner)
    assert http("POST", live_server + LOGOUT, {"refresh": team.member.refresh})[0] == 200
    closed = ws.closed()
    assert (closed.code, closed.reason) == (4401, protocol.SESSION_ENDED)
    session_ended(sio)
    owner.quiet()


@pytest.mark.parametrize("how", ["password change", "account deletion"])
def test_revoking_every_token_closes_every_socket_of_the_user(
    live_server, clients, team, make_account, how
):
    room_socket = clients.ws(live_server, team.member, room=team.room)
    sio = clients.sio(live_server, team.member)
    owner = clients.sio(live_server, team.owner)
    if how == "password change":
        status, _ = http(
            "PATCH", live_server + PROFILE, {"password": "brand-new-pass"}, team.member.access
        )
        assert status == 200
    else:
        staff = make_account(is_staff=True)
        status, _ = http(
            "DELETE", live_server + ADMIN_USER.format(team.member.id), token=staff.access
        )
        assert status == 204
    assert room_socket.closed().code == 4401
    session_ended(sio)
    owner.quiet()


def test_a_member_added_later_hears_the_room_without_reconnecting(
    live_server, clients, team, make_account
):
    newcomer = make_account(first_name="Nodira")
    all_rooms, sio = clients.ws(live_server, newcomer), clients.sio(live_server, newcomer)
    owner = clients.ws(live_server, team.owner)
    status, _ = http(
        "POST",
        live_server + MEMBERS.format(team.room, "add_member"),
        {"user_id": newcomer.id},
        team.owner.access,
    )
    assert status == 200
    added = all_rooms.expect("member_added")
    assert added["member"]["user"]["id"] == newcomer.id
    assert sio.expect("member_added") == added
    assert owner.expect("member_added") == added
    owner.send(chat("welcome", team.room))
    welcome = owner.expect("chat_message")
    assert all_rooms.expect("chat_message") == welcome
    assert sio.expect("chat_message") == welcome


def test_a_removed_member_hears_of_it_and_then_nothing_more(live_server, clients, team):
    room_socket = clients.ws(live_server, team.member, room=team.room)
    all_rooms = clients.ws(live_server, team.member)
    sio = clients.sio(live_server, team.member)
    owner = clients.ws(live_server, team.owner)
    status, _ = http(
        "POST",
        live_server + MEMBERS.format(team.room, "remove_member"),
        {"user_id": team.member.id},
        team.owner.access,
    )
    assert status == 200
    removed = room_socket.expect("member_removed")
    assert removed["user"]["id"] == team.member.id
    closed = room_socket.closed()
    assert (closed.code, closed.reason) == (4403, "You are no longer a member of this room.")
    assert all_rooms.expect("member_removed") == removed
    assert sio.expect("member_removed") == removed
    owner.expect("member_removed")
    owner.send(chat("after you left", team.room))
    owner.expect("chat_message")
    all_rooms.quiet()
    sio.quiet()


def test_a_deleted_room_closes_its_room_sockets(live_server, clients, team):
    room_socket = clients.ws(live_server, team.member, room=team.room)
    all_rooms = clients.ws(live_server, team.member)
    status, _ = http("DELETE", live_server + room_url(team.room), token=team.owner.access)
    assert status == 204
    deleted = {"type": "room_deleted", "room": team.room}
    assert room_socket.expect("room_deleted") == deleted
    assert room_socket.closed().code == 4404
    assert all_rooms.expect("room_deleted") == deleted
    all_rooms.quiet()


def test_closing_saves_last_online(app, live_server, clients, team):
    member = clients.ws(live_server, team.member)
    connected_at = utcnow()
    member.close()
    assert online_after(app, team.member.id, connected_at)


# --- bad frames ---------------------------------------------------------------------------------


def test_malformed_frames_get_an_error_and_the_socket_stays_usable(
    client, live_server, clients, team
):
    elsewhere = create_group(client, team.outsider, name="Elsewhere")
    member = clients.ws(live_server, team.member)
    owner = clients.sio(live_server, team.owner)
    cases = [
        ("not json", "Frames must be JSON objects."),
        (b"\x00\xff binary", "Frames must be JSON objects."),
        ("[1, 2]", "Frames must be JSON objects."),
        ({"type": "dance"}, "Unknown frame type."),
        (chat(42, team.room, files="x", reply_to=5), "Invalid request data"),
        (chat("x" * 1_000_000, team.room), "Frames may be at most 65536 bytes; got 1000"),
        (chat("to a room I am not in", elsewhere), "Invalid request data"),
        (chat("which room?"), "Invalid request data"),
    ]
    for frame, sentence in cases:
        member.send(frame)
        error = member.expect("error")
        assert error["error"].startswith(sentence), (frame if len(str(frame)) < 99 else "", error)
    assert set(error["details"]) == {"room_id"}
    member.send(chat("still here", team.room))
    assert member.expect("chat_message")["message"]["text"] == "still here"
    assert owner.expect("chat_message")["message"]["text"] == "still here"
    owner.quiet()


def test_a_frame_beyond_the_socket_limit_closes_it_with_1009(live_server, clients, team):
    member = clients.ws(live_server, team.member)
    member.send(chat("x" * (3 * 1024 * 1024), team.room))
    assert member.closed(timeout=10).code == 1009


def test_too_many_frames_get_an_error_saying_how_long_to_wait(live_server, clients, team):
    member = clients.ws(live_server, team.member)
    for _ in range(45):
        member.send({"type": "ping"})
    replies = [member.next() for _ in range(45)]
    throttled = [r for r in replies if r["type"] == "error"]
    assert throttled and all(r["error"] == protocol.THROTTLED for r in throttled)
    assert all(r["wait_seconds"] >= 1 for r in throttled)
    # A burst of 30 (CHAT_FRAME_BURST), one of which went to the ping that opened the socket.
    assert replies.count({"type": "pong"}) >= 29
    time.sleep(throttled[-1]["wait_seconds"])
    member.quiet()


# --- heartbeat and stopping ---------------------------------------------------------------------


def test_the_heartbeat_drops_a_client_that_stops_answering(app, start_server, team):
    server = start_server(CHAT_PING_SECONDS="0.3")
    connected_at = utcnow()
    connection = websocket.create_connection(
        ws_url(server.url), header=[f"Authorization: Bearer {team.member.access}"], timeout=5
    )
    try:
        pings = 0
        while True:
            # Raw frames: websocket-client answers pings only when asked for data.
            frame = connection.recv_frame()
            if frame.opcode == websocket.ABNF.OPCODE_PING:
                pings += 1
            elif frame.opcode == websocket.ABNF.OPCODE_CLOSE:
                break
        assert pings >= 1
        assert close_of(frame.data)[0] == 1008
    finally:
        connection.shutdown()
    assert online_after(app, team.member.id, connected_at)


def test_the_heartbeat_keeps_clients_that_answer(start_server, clients, team):
    server = start_server(CHAT_PING_SECONDS="0.2")
    member = clients.ws(server.url, team.member, room=team.room)
    owner = clients.ws(server.url, team.owner, room=team.room)
    deadline = time.monotonic() + 1.5  # seven heartbeats
    while time.monotonic() < deadline:
        time.sleep(0.05)
        # Reading answers the pings that arrived meanwhile (websocket-client does).
        member.quiet()
        owner.quiet()
    owner.send(chat("still here"))
    assert member.expect("chat_message")["message"]["text"] == "still here"


def test_stopping_the_server_finishes_and_acknowledges_what_it_took(
    client, start_server, clients, team
):
    server = start_server(CHAT_FRAMES_PER_SECOND="0")
    member = clients.ws(server.url, team.member, room=team.room)
    owner = clients.sio(server.url, team.owner)
    for n in range(200):
        member.send(chat(f"message {n}"))
    server.proc.send_signal(signal.SIGTERM)
    acknowledged, refused = [], 0
    with pytest.raises(Closed) as closed:
        while True:
            frame = member.next(timeout=10)
            if frame["type"] == "chat_message":
                acknowledged.append(frame["message"]["id"])
            else:
                assert frame == {"type": "error", "error": protocol.SHUTTING_DOWN}
                refused += 1
    assert (closed.value.code, closed.value.reason) == (1001, "The server is shutting down.")
    assert server.proc.wait(timeout=15) == 0
    assert wait_until(lambda: owner.disconnected)
    # Every message the server stored was acknowledged before the socket closed, and
    # every frame is accounted for: stored, refused, or read after the stop began.
    stored = client.get(HISTORY.format(team.room) + "?limit=100", headers=team.owner.headers)
    count = stored.get_json()["count"]
    assert len(acknowledged) == count and len(set(acknowledged)) == count
    assert count + refused <= 200


def test_the_server_holds_max_connections_sockets_at_once(start_server, clients, team):
    # eventlet serves 1024 connections at once unless told otherwise; every open
    # WebSocket holds one, so the limit is a setting (10000 by default).
    server = start_server(MAX_CONNECTIONS="2")
    first = clients.ws(server.url, team.member)
    clients.ws(server.url, team.owner)
    with pytest.raises(websocket.WebSocketTimeoutException):
        websocket.create_connection(ws_url(server.url), timeout=1)
    first.close()
    clients.ws(server.url, team.outsider).quiet()


# --- two processes ------------------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="two server processes meet through Redis (REDIS_URL)"
)
def test_two_server_processes_deliver_each_others_events(live_server, start_server, clients, team):
    other = start_server().url
    owner_ws, owner_sio = clients.ws(live_server, team.owner), clients.sio(live_server, team.owner)
    member_sio = clients.sio(other, team.member)
    member_ws = clients.ws(other, team.member, room=team.room)
    outsider = clients.ws(other, team.outsider)

    owner_ws.send(chat("from the first process", team.room))
    sent = owner_ws.expect("chat_message")
    assert owner_sio.expect("chat_message") == sent
    assert member_sio.expect("chat_message") == sent
    assert member_ws.expect("chat_message") == sent

    member_sio.emit("chat_message", {"room_id": team.room, "message": "from the second"})
    reply = member_sio.expect("chat_message")
    assert reply["message"]["text"] == "from the second"
    for socket_ in (owner_ws, owner_sio, member_ws):
        assert socket_.expect("chat_message") == reply

    member_ws.send({"type": "typing", "is_typing": True})
    assert owner_ws.expect("user_typing")["user"]["id"] == team.member.id
    assert owner_sio.expect("user_typing")["user"]["id"] == team.member.id
    member_sio.quiet()

    assert http("POST", live_server + LOGOUT, {"refresh": team.member.refresh})[0] == 200
    assert member_ws.closed().code == 4401
    session_ended(member_sio)
    outsider.quiet()
    owner_ws.quiet()
