"""Chat API 15-16: history and message deletion."""

import uuid

import pytest
from sqlalchemy import func, select

from tests.support.answers import field_errors
from tests.support.chat import HISTORY, MESSAGE, create_private, of_type, send, upload
from uzbekhub.accounts.models import User
from uzbekhub.chat.models import Message
from uzbekhub.extensions import db

MESSAGE_KEYS = [
    "id",
    "room",
    "sender",
    "text",
    "reply_to",
    "attachments",
    "is_edited",
    "created_at",
    "update_at",
]


def history(client, room, account, query=""):
    return client.get(HISTORY.format(room) + query, headers=account.headers)


def test_history_shows_messages_newest_first(app, client, cast):
    first = send(app, cast.owner, cast.room, "Hello everyone!")
    file_id = upload(client, cast.member, b"report").get_json()["id"]
    second = send(
        app, cast.member, cast.room, "see attached", reply_to=uuid.UUID(first), files=[file_id]
    )
    response = history(client, cast.room, cast.admin)
    assert response.status_code == 200
    page = response.get_json()
    assert list(page) == ["count", "next", "previous", "results"]
    assert (page["count"], page["next"], page["previous"]) == (2, None, None)
    newest, oldest = page["results"]
    assert list(newest) == MESSAGE_KEYS
    assert (newest["id"], oldest["id"]) == (second, first)
    assert newest["room"] == cast.room
    assert newest["sender"] == {
        "id": cast.member.id,
        "username": cast.member.username,
        "full_name": "Murod",
        "profile_picture": None,
    }
    assert newest["text"] == "see attached"
    assert newest["reply_to"] == first
    assert oldest["reply_to"] is None
    (attachment,) = newest["attachments"]
    assert attachment["id"] == file_id and attachment["is_temporary"] is False
    assert attachment["file"].startswith("http://localhost/media/chat_files/")
    assert newest["is_edited"] is False
    assert newest["created_at"].endswith("Z") and newest["update_at"] == newest["created_at"]


def test_history_pages_with_limit_and_offset(app, client, cast):
    sent = [send(app, cast.owner, cast.room, f"m{i}") for i in range(5)]
    page = history(client, cast.room, cast.member, "?limit=2&offset=1").get_json()
    assert page["count"] == 5
    assert [m["text"] for m in page["results"]] == ["m3", "m2"]
    assert page["next"].endswith(f"/api/chat/message/{cast.room}/list_by_room/?limit=2&offset=3")
    assert page["previous"].endswith("?limit=2&offset=0")
    last = history(client, cast.room, cast.member, "?limit=2&offset=4").get_json()
    assert [m["id"] for m in last["results"]] == [sent[0]]
    assert last["next"] is None


def test_history_limit_is_capped_at_100(app, client, cast):
    for i in range(105):
        send(app, cast.owner, cast.room, str(i))
    page = history(client, cast.room, cast.member, "?limit=500").get_json()
    assert len(page["results"]) == 100
    assert "limit=100" in page["next"]
    assert len(history(client, cast.room, cast.member).get_json()["results"]) == 50


def test_the_count_follows_sends_deletes_and_clears(app, client, cast):
    def counted():
        page = history(client, cast.room, cast.member, "?limit=1").get_json()
        with app.app_context():
            stored = db.session.scalar(
                select(func.count()).where(Message.room_id == uuid.UUID(cast.room))
            )
        assert page["count"] == stored
        return page["count"]

    sent = [send(app, cast.member, cast.room, f"m{i}") for i in range(3)]
    assert counted() == 3
    assert delete(client, sent[0], cast.member).status_code == 204
    assert delete(client, sent[0], cast.member).status_code == 404
    assert counted() == 2
    assert (
        client.post(
            f"/api/chat/rooms/{cast.room}/clear_messages/", headers=cast.owner.headers
        ).status_code
        == 200
    )
    assert counted() == 0
    send(app, cast.admin, cast.room)
    assert counted() == 1


@pytest.mark.parametrize(
    "query", ["?limit=0", "?limit=-1", "?limit=abc", "?offset=-1", "?offset=x", "?offset=9e99"]
)
def test_bad_paging_is_400(client, cast, query):
    response = history(client, cast.room, cast.member, query)
    assert response.status_code == 400
    details = field_errors(response)
    assert "limit" in details or "offset" in details


def test_history_is_for_members_only(app, client, cast, alice, bob):
    send(app, cast.owner, cast.room)
    assert history(client, cast.room, cast.outsider).status_code == 404
    private = create_private(client, alice, bob)
    send(app, alice, private)
    assert history(client, private, cast.outsider).status_code == 404
    assert history(client, private, bob).status_code == 200
    assert client.get(HISTORY.format(cast.room)).status_code == 401
    assert history(client, uuid.uuid4(), alice).status_code == 404


def test_a_page_costs_the_same_statements_with_files_and_for_more_messages(
    app, client, cast, make_account, statements
):
    def page_cost():
        with statements() as executed:
            response = history(client, cast.room, cast.owner, "?limit=100")
        assert response.status_code == 200
        return len(executed), len(response.get_json()["results"])

    send(app, cast.owner, cast.room, "first")
    text_only, _ = page_cost()
    first_file = upload(client, cast.owner, b"file").get_json()["id"]
    send(app, cast.owner, cast.room, "with a file", files=[first_file])
    few, n_few = page_cost()
    for i in range(12):
        account = (cast.admin, cast.member, cast.owner)[i % 3]
        file_id = upload(client, account, f"file {i}".encode()).get_json()["id"]
        send(app, account, cast.room, f"text {i}", files=[file_id])
    many, n_many = page_cost()
    assert (n_few, n_many) == (2, 14)
    # The files ride along in the page's statement.
    assert text_only == few == many
    # At most the token's user and the page.
    assert many <= 2


def test_an_empty_page_still_answers_the_count_and_refuses_outsiders(client, app, cast):
    for text in ("one", "two"):
        send(app, cast.member, cast.room, text)
    past_the_end = history(client, cast.room, cast.member, "?offset=5")
    assert past_the_end.status_code == 200
    assert past_the_end.get_json()["count"] == 2 and past_the_end.get_json()["results"] == []
    assert history(client, cast.room, cast.outsider, "?offset=5").status_code == 404


# --- delete -------------------------------------------------------------------------------------


def delete(client, message_id, account):
    return client.delete(MESSAGE.format(message_id), headers=account.headers)


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
def test_the_sender_deletes_their_message(app, client, cast, role, chat_events):
    sender = cast.by_role(role)
    message = send(app, sender, cast.room)
    response = delete(client, message, sender)
    assert response.status_code == 204
    assert history(client, cast.room, cast.owner).get_json()["count"] == 0
    (deleted,) = of_type(chat_events, "message_deleted")
    assert deleted.payload == {"type": "message_deleted", "room": cast.room, "message_id": message}
    assert set(deleted.recipients) == {cast.owner.id, cast.admin.id, cast.member.id}


@pytest.mark.parametrize("moderator", ["owner", "admin"])
def test_owner_and_admin_delete_others_messages_in_a_group(app, client, cast, moderator):
    message = send(app, cast.member, cast.room)
    assert delete(client, message, cast.by_role(moderator)).status_code == 204


def test_a_plain_member_cannot_delete_someone_elses_message(app, client, cast, chat_events):
    for author in (cast.owner, cast.admin):
        message = send(app, author, cast.room)
        response = delete(client, message, cast.member)
        assert response.status_code == 403
        assert set(response.get_json()) == {"detail"}
    assert history(client, cast.room, cast.owner).get_json()["count"] == 2
    assert of_type(chat_events, "message_deleted") == []


def test_an_admin_deletes_the_owners_message(app, client, cast):
    message = send(app, cast.owner, cast.room)
    assert delete(client, message, cast.admin).status_code == 204


def test_outsiders_cannot_find_messages_to_delete(app, client, cast):
    message = send(app, cast.member, cast.room)
    assert delete(client, message, cast.outsider).status_code == 404
    assert client.delete(MESSAGE.format(message)).status_code == 401


def test_in_a_private_room_only_the_sender_deletes(app, client, alice, bob):
    room = create_private(client, alice, bob)
    message = send(app, alice, room)
    assert delete(client, message, bob).status_code == 403
    assert delete(client, message, alice).status_code == 204


@pytest.mark.parametrize("bad", [str(uuid.uuid4()), "not-a-uuid", "1"])
def test_unknown_or_malformed_message_ids_are_404(client, alice, bad):
    assert delete(client, bad, alice).status_code == 404


def test_replies_to_a_deleted_message_keep_their_text(app, client, cast):
    original = send(app, cast.member, cast.room, "question")
    reply = send(app, cast.owner, cast.room, "answer", reply_to=uuid.UUID(original))
    assert delete(client, original, cast.member).status_code == 204
    (kept,) = history(client, cast.room, cast.member).get_json()["results"]
    assert (kept["id"], kept["text"], kept["reply_to"]) == (reply, "answer", None)
    with app.app_context():
        assert db.session.scalar(select(Message.reply_to_id)) is None


def test_a_deleted_accounts_messages_stay_without_a_sender(app, client, cast):
    send(app, cast.member, cast.room, "from someone who left")
    with app.app_context():
        db.session.delete(db.session.get(User, cast.member.id))
        db.session.commit()
    (kept,) = history(client, cast.room, cast.owner).get_json()["results"]
    assert (kept["text"], kept["sender"]) == ("from someone who left", None)
