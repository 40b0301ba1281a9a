"""The protocol shared by both transports, called as the plain WebSocket calls it: raw text
frames, one long-lived application context per connection."""

import uuid

import orjson
import pytest
from flask_jwt_extended import decode_token
from sqlalchemy import func, select

from tests.realtime.support import wait_until
from tests.support.chat import HISTORY, create_group
from uzbekhub.chat import protocol
from uzbekhub.chat.models import Message, Room, RoomMember
from uzbekhub.chat.protocol import Identity, Peer, TokenBucket, handle_frame
from uzbekhub.extensions import db


class RecordingPeer(Peer):
    def __init__(self, identity, room=None):
        super().__init__(identity, room)
        self.endings = []

    def end(self, code, reason):
        self.ended = True
        self.endings.append(code)


def peer_of(app, account, room=None) -> RecordingPeer:
    with app.test_request_context():
        identity = protocol.authenticate(account.access)
        db.session.remove()
        return RecordingPeer(identity, uuid.UUID(room) if room else None)


def frame(**fields) -> str:
    return orjson.dumps(fields).decode()


@pytest.fixture
def rooms(client, alice, bob):
    """Two groups of Alice's; Bob is in the first only."""
    return create_group(client, alice, [bob], name="One"), create_group(client, alice, name="Two")


def nothing_checked_out() -> bool:
    """No pooled connection is in use. Polled: a thread of an earlier test's after-commit
    work may hold one for a moment, while one the frame kept would stay out for good (the
    request context below stays open)."""
    return wait_until(lambda: db.engine.pool.checkedout() == 0)


def test_the_database_connection_is_released_after_every_frame(app, alice, rooms):
    peer = peer_of(app, alice)
    # The plain WebSocket keeps one request context open for the whole connection.
    with app.test_request_context():
        for text in ("one", "two"):
            assert (
                handle_frame(peer, frame(type="chat_message", room_id=rooms[0], message=text))
                is None
            )
            assert nothing_checked_out()
        # A ping only reads (the user, to check the session): nothing commits it.
        assert handle_frame(peer, frame(type="ping")) == {"type": "pong"}
        assert nothing_checked_out()
        handle_frame(peer, frame(type="chat_message", room_id="nope", message="x"))
        assert nothing_checked_out()


def test_text_and_binary_frames_are_both_read(app, client, alice, rooms):
    peer = peer_of(app, alice)
    with app.test_request_context():
        handle_frame(peer, frame(type="chat_message", room_id=rooms[0], message="text"))
        handle_frame(peer, frame(type="chat_message", room_id=rooms[0], message="bytes").encode())
    texts = [
        m["text"]
        for m in client.get(HISTORY.format(rooms[0]), headers=alice.headers).get_json()["results"]
    ]
    assert texts == ["bytes", "text"]


def test_frames_are_limited_in_bytes_not_characters(app, alice, rooms, monkeypatch):
    monkeypatch.setitem(app.config, "CHAT_FRAME_MAX_BYTES", 100)
    peer = peer_of(app, alice)
    fits = frame(type="ping", pad="x" * 60)
    too_big = frame(type="ping", pad="ж" * 60)  # 60 characters, 120 bytes
    with app.test_request_context():
        assert handle_frame(peer, fits) == {"type": "pong"}
        error = handle_frame(peer, too_big)
    assert error["type"] == "error"
    assert "at most 100 bytes" in error["error"]


def test_a_one_room_socket_ignores_room_id_and_acts_in_its_room_only(app, client, alice, rooms):
    one, two = rooms
    peer_in_one = peer_of(app, alice, one)
    peer_in_two = peer_of(app, alice, two)
    with app.test_request_context():
        handle_frame(peer_in_one, frame(type="chat_message", room_id=two, message="here"))
        handle_frame(peer_in_one, frame(type="chat_message", room_id="garbage", message="too"))
        handle_frame(peer_in_one, frame(type="chat_message", message="and no room_id"))
    history = client.get(HISTORY.format(one), headers=alice.headers).get_json()["results"]
    assert [m["text"] for m in history] == ["and no room_id", "too", "here"]
    assert client.get(HISTORY.format(two), headers=alice.headers).get_json()["count"] == 0
    with app.test_request_context():
        for kind in ("edit_message", "delete_message", "read"):
            error = handle_frame(
                peer_in_two, frame(type=kind, message_id=history[0]["id"], message="x")
            )
            assert error["details"] == {"message_id": ["No such message in this room."]}
        assert (
            handle_frame(
                peer_in_one, frame(type="edit_message", message_id=history[0]["id"], message="x")
            )
            is None
        )


def test_a_session_ended_elsewhere_ends_the_connection_and_runs_nothing(app, client, alice, rooms):
    peer = peer_of(app, alice)
    client.patch(
        "/api/accounts/account/profile/", json={"password": "brand-new-pass"}, headers=alice.headers
    )
    with app.test_request_context():
        assert handle_frame(peer, frame(type="chat_message", room_id=rooms[0], message="x")) is None
        assert handle_frame(peer, frame(type="ping")) is None
    assert peer.endings == [protocol.BAD_TOKEN]


def test_unknown_frame_types_name_the_known_ones(app, alice):
    peer = peer_of(app, alice)
    with app.test_request_context():
        error = handle_frame(peer, frame(type=5))
    assert error["error"] == protocol.UNKNOWN_TYPE
    assert error["details"] == {
        "type": ["Must be one of: chat_message, edit_message, delete_message, typing, read, ping."]
    }


def test_the_token_bucket_allows_bursts_then_the_rate(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(protocol.time, "monotonic", lambda: now[0])
    bucket = TokenBucket(rate=2, burst=3)
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == pytest.approx(0.5)
    now[0] += 0.5
    assert bucket.take() == 0
    assert bucket.take() == pytest.approx(0.5)
    now[0] += 60
    assert [bucket.take() for _ in range(4)][:3] == [0, 0, 0]
    assert TokenBucket(rate=0, burst=1).take() == 0


@pytest.mark.parametrize("token_kind", ["refresh", "garbage", "none"])
def test_only_access_tokens_authenticate(app, alice, token_kind):
    token = {"refresh": alice.refresh, "garbage": "x.y.z", "none": None}[token_kind]
    with app.test_request_context(), pytest.raises(protocol.Refused) as refused:
        protocol.authenticate(token)
    assert refused.value.code == protocol.BAD_TOKEN


def test_a_one_room_socket_needs_a_room_the_caller_is_in(app, alice, bob, rooms):
    with app.test_request_context():
        identity = protocol.authenticate(bob.access)
        assert protocol.open_room(identity, rooms[0]) == uuid.UUID(rooms[0])
        for room, code in [
            (rooms[1], protocol.NOT_A_MEMBER),
            (str(uuid.uuid4()), protocol.NO_SUCH_ROOM),
            ("not-a-uuid", protocol.NO_SUCH_ROOM),
        ]:
            with pytest.raises(protocol.Refused) as refused:
                protocol.open_room(identity, room)
            assert refused.value.code == code


def test_identity_carries_the_session_that_let_it_in(app, alice):
    with app.test_request_context():
        identity = protocol.authenticate(alice.access)
        session = decode_token(alice.access)["sid"]
    assert isinstance(identity, Identity)
    assert identity.user_id == alice.id
    assert identity.token_version == 0
    assert identity.session == session


def test_a_chat_message_frame_costs_three_statements_on_postgresql(app, alice, rooms, statements):
    """The sender's state comes from the token states' memory (HTTP's), the sender's row
    with the membership, then the INSERT, then the count, the read marker and the
    recipients in one statement (data-modifying CTEs; SQLite, which has none, takes three)."""
    peer = peer_of(app, alice)
    with app.test_request_context():
        assert handle_frame(peer, frame(type="ping")) == {"type": "pong"}  # the state cached
        with statements() as executed:
            sent = handle_frame(peer, frame(type="chat_message", room_id=rooms[0], message="x"))
    assert sent is None
    on_postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert len(executed) == (3 if on_postgres else 5), executed
    with app.app_context():
        room = uuid.UUID(rooms[0])
        assert db.session.scalar(select(Room.message_count).where(Room.id == room)) == 1
        marker = select(RoomMember.last_read_at).where(
            RoomMember.room_id == room, RoomMember.user_id == alice.id
        )
        assert db.session.scalar(marker) is not None


def test_a_frame_of_a_signed_out_user_ends_the_connection_and_sends_nothing(
    app, client, alice, rooms
):
    peer = peer_of(app, alice)
    with app.test_request_context():
        assert handle_frame(peer, frame(type="ping")) == {"type": "pong"}
    assert (
        client.patch(
            "/api/accounts/account/profile/",
            json={"password": "another-password-1"},
            headers=alice.headers,
        ).status_code
        == 200
    )
    with app.test_request_context():
        handle_frame(peer, frame(type="chat_message", room_id=rooms[0], message="after"))
    assert peer.ended
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
