"""Chat history is answered from columns; it must equal ChatMessageSchema's dump of the same
messages loaded as ORM entities (the documented contract): files, replies, edits, a sender
with a picture and one whose account is gone."""

import uuid

import pytest
from sqlalchemy import select, update

from tests.accounts.helpers import update_user
from tests.support.chat import HISTORY, send, upload
from tests.support.contract import assert_answers_the_dump
from uzbekhub.chat.message_services import load_messages
from uzbekhub.chat.models import Message, Room
from uzbekhub.chat.schemas import ChatMessageSchema
from uzbekhub.common.pagination import limit_offset_envelope_of
from uzbekhub.extensions import db


@pytest.fixture
def history_room(app, client, cast):
    update_user(app, cast.owner, profile_picture="profile_pictures/owner.png")
    update_user(app, cast.admin, first_name="", last_name="")
    first = send(app, cast.owner, cast.room, "first")
    files = [upload(client, cast.admin, f"file {i}".encode()).get_json()["id"] for i in range(2)]
    send(app, cast.admin, cast.room, "two files", files=files)
    picture = upload(client, cast.member, b"\x89PNG picture", file_type="image").get_json()["id"]
    send(app, cast.member, cast.room, "", files=[picture])
    send(app, cast.member, cast.room, "a reply", reply_to=uuid.UUID(first))
    edited = send(app, cast.owner, cast.room, "to be edited")
    orphan = send(app, cast.member, cast.room, "from an account now gone")
    with app.app_context():
        db.session.execute(
            update(Message).where(Message.id == uuid.UUID(edited)).values(is_edited=True)
        )
        db.session.execute(
            update(Message).where(Message.id == uuid.UUID(orphan)).values(sender_id=None)
        )
        db.session.commit()
    return cast


def expected_page(app, room_id: str, limit: int, offset: int) -> dict:
    query = f"?limit={limit}&offset={offset}"
    with app.test_request_context(HISTORY.format(room_id) + query):
        room = uuid.UUID(room_id)
        messages = load_messages(
            select(Message)
            .where(Message.room_id == room)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
            .offset(offset)
        )
        total = db.session.get(Room, room).message_count
        args = {"limit": limit, "offset": offset}
        results = ChatMessageSchema(many=True).dump(messages)
        return limit_offset_envelope_of(args, total, results)


@pytest.mark.parametrize("limit, offset", [(50, 0), (2, 0), (2, 3), (4, 4), (5, 10)])
def test_history_answers_the_schemas_dump_of_the_same_messages(
    app, client, history_room, limit, offset
):
    room = history_room.room
    response = client.get(
        HISTORY.format(room) + f"?limit={limit}&offset={offset}",
        headers=history_room.member.headers,
    )
    assert_answers_the_dump(response, expected_page(app, room, limit, offset))


def test_the_contract_data_has_every_kind_of_message(client, history_room):
    response = client.get(HISTORY.format(history_room.room), headers=history_room.owner.headers)
    messages = response.get_json()["results"]
    assert len(messages) == 6
    assert any(m["sender"] is None for m in messages)
    assert any(m["is_edited"] for m in messages)
    assert any(m["reply_to"] for m in messages)
    assert sorted(len(m["attachments"]) for m in messages) == [0, 0, 0, 0, 1, 2]
    assert any(m["sender"] and m["sender"]["profile_picture"] for m in messages)
