"""The chat services the sockets call: sending, editing, deleting, read markers, typing, and
the event interface they publish through."""

import uuid

import pytest
from sqlalchemy import select, text
from werkzeug.exceptions import NotFound

from tests.support.chat import (
    HISTORY,
    ROOMS,
    as_user,
    create_private,
    of_type,
    room_url,
    send,
    upload,
)
from tests.support.factories import block
from uzbekhub.chat import events, lookups, message_services
from uzbekhub.chat.models import ChatFile, Message, RoomMember
from uzbekhub.errors import Forbidden, ValidationFailed
from uzbekhub.extensions import db


def details(exc_info) -> dict:
    return exc_info.value.details


def call(app, fn, account, *args, **kwargs):
    with app.test_request_context():
        return fn(as_user(account), *args, **kwargs)


def room_uuid(room) -> uuid.UUID:
    return uuid.UUID(str(room))


# --- send_message -------------------------------------------------------------------------------


def test_a_sent_message_is_published_as_history_shows_it(app, client, cast, chat_events):
    message_id = send(app, cast.member, cast.room, "Hello!")
    (published,) = of_type(chat_events, "chat_message")
    assert set(published.payload) == {"type", "message"}
    (in_history,) = client.get(HISTORY.format(cast.room), headers=cast.owner.headers).get_json()[
        "results"
    ]
    assert published.payload["message"] == in_history
    assert in_history["id"] == message_id
    assert published.room_id == cast.room
    assert set(published.recipients) == {cast.owner.id, cast.admin.id, cast.member.id}


def test_text_may_be_4000_characters_and_no_more(app, cast):
    send(app, cast.member, cast.room, "x" * 4000)
    with pytest.raises(ValidationFailed) as exc:
        send(app, cast.member, cast.room, "x" * 4001)
    assert "message" in details(exc)


@pytest.mark.parametrize("empty", [None, "", "   \n"])
def test_a_message_needs_text_or_files(app, cast, empty):
    with pytest.raises(ValidationFailed) as exc:
        send(app, cast.member, cast.room, empty)
    assert "message" in details(exc)


@pytest.mark.parametrize(
    "text, files, field", [(42, [], "message"), (["hi"], [], "message"), ("hi", ["1"], "files")]
)
def test_values_of_the_wrong_type_are_400(app, cast, text, files, field):
    with pytest.raises(ValidationFailed) as exc:
        send(app, cast.member, cast.room, text, files=files)
    assert field in details(exc)


def test_files_alone_make_a_message_and_stop_being_temporary(app, client, cast):
    file_id = upload(client, cast.member, b"voice note", file_type="voice").get_json()["id"]
    assert client.get("/api/chat/files/", headers=cast.member.headers).get_json()[0]["is_temporary"]
    send(app, cast.member, cast.room, None, files=[file_id])
    (listed,) = client.get("/api/chat/files/", headers=cast.member.headers).get_json()
    assert listed["is_temporary"] is False


def test_only_your_own_files_can_be_attached(app, client, cast):
    others = upload(client, cast.owner, b"owner's file").get_json()["id"]
    for files in ([others], [987_654]):
        with pytest.raises(ValidationFailed) as exc:
            send(app, cast.member, cast.room, "look", files=files)
        assert "files" in details(exc)


def test_at_most_ten_files_per_message(app, client, cast):
    ids = [upload(client, cast.member, f"f{i}".encode()).get_json()["id"] for i in range(11)]
    with pytest.raises(ValidationFailed) as exc:
        send(app, cast.member, cast.room, "many", files=ids)
    assert "files" in details(exc)
    send(app, cast.member, cast.room, "ten", files=ids[:10])


def test_reply_to_must_be_in_the_same_room(app, client, cast, alice, bob):
    other_room = create_private(client, alice, bob)
    elsewhere = send(app, alice, other_room)
    here = send(app, cast.owner, cast.room)
    send(app, cast.member, cast.room, "reply", reply_to=room_uuid(here))
    for reply_to in (room_uuid(elsewhere), uuid.uuid4()):
        with pytest.raises(ValidationFailed) as exc:
            send(app, cast.member, cast.room, "reply", reply_to=reply_to)
        assert "reply_to" in details(exc)


def test_outsiders_cannot_send(app, cast):
    with pytest.raises(NotFound):
        send(app, cast.outsider, cast.room)
    with pytest.raises(NotFound):
        send(app, cast.outsider, uuid.uuid4())


@pytest.mark.parametrize("who_blocks", ["alice", "bob"])
def test_no_messages_across_a_block_in_a_private_room(app, client, alice, bob, who_blocks):
    room = create_private(client, alice, bob)
    blocker, blocked = (alice, bob) if who_blocks == "alice" else (bob, alice)
    block(app, blocker, blocked)
    for sender in (alice, bob):
        with pytest.raises(Forbidden):
            send(app, sender, room)


def test_a_block_between_members_does_not_silence_a_group(app, client, cast):
    block(app, cast.member, cast.owner)
    send(app, cast.owner, cast.room, "from the owner")
    send(app, cast.member, cast.room, "from the member")
    history = client.get(HISTORY.format(cast.room), headers=cast.admin.headers).get_json()
    assert [(m["sender"]["id"], m["text"]) for m in history["results"]] == [
        (cast.member.id, "from the member"),
        (cast.owner.id, "from the owner"),
    ]


def test_nothing_is_published_or_stored_for_a_refused_message(app, cast, chat_events):
    with pytest.raises(ValidationFailed):
        send(app, cast.member, cast.room, "x" * 5000)
    assert chat_events == []
    with app.app_context():
        assert db.session.scalar(select(Message.id)) is None


# --- edit_message -------------------------------------------------------------------------------


def test_the_sender_edits_and_everyone_hears(app, client, cast, chat_events):
    message_id = send(app, cast.member, cast.room, "helo")
    edited = call(app, message_services.edit_message, cast.member, room_uuid(message_id), "hello")
    assert edited["text"] == "hello"
    (event,) = of_type(chat_events, "message_edited")
    (shown,) = client.get(HISTORY.format(cast.room), headers=cast.owner.headers).get_json()[
        "results"
    ]
    assert event.payload == {"type": "message_edited", "message": shown}
    assert shown["text"] == "hello" and shown["is_edited"] is True
    assert shown["update_at"] > shown["created_at"]


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_nobody_but_the_sender_edits(app, cast, role):
    message_id = send(app, cast.member, cast.room, "mine")
    with pytest.raises(Forbidden):
        call(
            app, message_services.edit_message, cast.by_role(role), room_uuid(message_id), "theirs"
        )


def test_outsiders_cannot_edit(app, cast):
    message_id = send(app, cast.member, cast.room, "mine")
    with pytest.raises(NotFound):
        call(app, message_services.edit_message, cast.outsider, room_uuid(message_id), "x")


@pytest.mark.parametrize("new_text", ["", "  ", "y" * 4001])
def test_edits_follow_the_text_rules(app, cast, new_text):
    message_id = send(app, cast.member, cast.room, "mine")
    with pytest.raises(ValidationFailed) as exc:
        call(app, message_services.edit_message, cast.member, room_uuid(message_id), new_text)
    assert "message" in details(exc)


def test_a_message_with_files_may_lose_its_text(app, client, cast):
    file_id = upload(client, cast.member, b"pic").get_json()["id"]
    message_id = send(app, cast.member, cast.room, "caption", files=[file_id])
    edited = call(app, message_services.edit_message, cast.member, room_uuid(message_id), "")
    assert edited["text"] == ""


def test_editing_across_a_block_is_refused(app, client, alice, bob):
    room = create_private(client, alice, bob)
    message_id = send(app, alice, room, "hi")
    block(app, bob, alice)
    with pytest.raises(Forbidden):
        call(app, message_services.edit_message, alice, room_uuid(message_id), "hello")


# --- read markers -------------------------------------------------------------------------------


def unread(client, room, account) -> int:
    return client.get(room_url(room), headers=account.headers).get_json()["unread_count"]


def test_reading_a_message_reads_everything_before_it(app, client, cast, chat_events):
    ids = [send(app, cast.owner, cast.room, f"m{i}") for i in range(3)]
    assert unread(client, cast.room, cast.member) == 3
    call(app, message_services.mark_read, cast.member, room_uuid(ids[1]))
    assert unread(client, cast.room, cast.member) == 1
    (event,) = of_type(chat_events, "message_read")
    assert list(event.payload) == ["type", "room", "message_id", "user", "read_at"]
    assert event.payload["room"] == cast.room
    assert event.payload["message_id"] == ids[1]
    assert event.payload["user"]["id"] == cast.member.id
    assert event.payload["read_at"].endswith("Z")
    assert cast.owner.id in event.recipients


def test_a_read_marker_never_moves_back(app, client, cast, chat_events):
    first, second = (send(app, cast.owner, cast.room, t) for t in ("a", "b"))
    call(app, message_services.mark_read, cast.member, room_uuid(second))
    call(app, message_services.mark_read, cast.member, room_uuid(first))
    assert unread(client, cast.room, cast.member) == 0
    assert len(of_type(chat_events, "message_read")) == 1


def test_outsiders_cannot_mark_read(app, cast):
    message_id = send(app, cast.owner, cast.room)
    with pytest.raises(NotFound):
        call(app, message_services.mark_read, cast.outsider, room_uuid(message_id))


# --- typing -------------------------------------------------------------------------------------


def test_typing_goes_to_the_others_at_once(app, cast, chat_events):
    call(app, message_services.typing, cast.member, room_uuid(cast.room), True)
    (event,) = of_type(chat_events, "user_typing")
    assert event.payload["is_typing"] is True
    assert event.payload["user"]["id"] == cast.member.id
    assert event.payload["room"] == cast.room
    assert event.exclude_user_id == cast.member.id


def test_outsiders_cannot_type(app, cast, chat_events):
    with pytest.raises(NotFound):
        call(app, message_services.typing, cast.outsider, room_uuid(cast.room), True)
    assert chat_events == []


# --- the event interface ------------------------------------------------------------------------


def test_events_wait_for_the_commit(app, chat_events):
    with app.app_context():
        events.publish("room", {"type": "room_cleared", "room": "room"}, [1])
        assert chat_events == []
        db.session.execute(text("SELECT 1"))
        db.session.commit()
    assert [e.payload for e in chat_events] == [{"type": "room_cleared", "room": "room"}]


def test_rolled_back_events_are_never_dispatched(app, chat_events):
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        events.publish("room", {"type": "room_cleared", "room": "room"}, [1])
        db.session.rollback()
        db.session.execute(text("SELECT 1"))
        db.session.commit()
    assert chat_events == []


def test_a_failing_subscriber_does_not_stop_the_others(app, cast, chat_events):
    def broken(event):
        raise RuntimeError("transport down")

    unsubscribe = events.bus(app).subscribe(broken)
    try:
        send(app, cast.member, cast.room, "still delivered")
    finally:
        unsubscribe()
    assert len(of_type(chat_events, "chat_message")) == 1


def test_subscribers_see_the_change_committed(app, client, cast):
    seen = []

    def check(event):
        with db.engine.connect() as other_connection:
            seen.append(
                other_connection.scalar(
                    select(Message.text).where(
                        Message.id == uuid.UUID(event.payload["message"]["id"])
                    )
                )
            )

    unsubscribe = events.bus(app).subscribe(check)
    try:
        send(app, cast.member, cast.room, "durable")
    finally:
        unsubscribe()
    assert seen == ["durable"]


def test_a_room_exists_and_an_outsider_is_not_its_member(app, cast):
    with app.app_context():
        assert lookups.room_exists(room_uuid(cast.room))
        assert lookups.membership(room_uuid(cast.room), cast.outsider.id) is None


def test_room_creation_announces_each_member(app, client, alice, bob, chat_events):
    response = client.post(
        ROOMS, json={"room_type": "private", "members": [bob.id]}, headers=alice.headers
    )
    added = of_type(chat_events, "member_added")
    assert [e.payload["member"]["user"]["id"] for e in added] == [alice.id, bob.id]
    assert all(e.room_id == response.get_json()["id"] for e in added)
    again = client.post(
        ROOMS, json={"room_type": "private", "members": [alice.id]}, headers=bob.headers
    )
    assert again.status_code == 200
    assert len(of_type(chat_events, "member_added")) == 2


def test_files_and_members_tables_are_left_clean_by_deletes(app, client, cast):
    file_id = upload(client, cast.member, b"attached").get_json()["id"]
    send(app, cast.member, cast.room, "with file", files=[file_id])
    client.delete(room_url(cast.room), headers=cast.owner.headers)
    with app.app_context():
        assert db.session.scalar(select(RoomMember.id)) is None
        assert db.session.get(ChatFile, file_id) is not None
