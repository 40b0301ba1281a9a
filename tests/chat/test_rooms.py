"""Chat API 1-6: rooms, from the owner's, an admin's, a member's and an outsider's side."""

import io
import threading
import uuid

import pytest
from sqlalchemy import func, select

from tests.support.answers import field_errors
from tests.support.chat import HISTORY, ROOMS, create_group, create_private, of_type, room_url, send
from tests.support.factories import add_contact, block
from tests.support.images import png
from tests.support.media import fetch_media, is_stored, stored_names
from uzbekhub.accounts.models import User
from uzbekhub.chat import room_services
from uzbekhub.chat.models import Message, Room, RoomMember
from uzbekhub.extensions import db

ROOM_KEYS = [
    "id",
    "room_type",
    "name",
    "username",
    "description",
    "profile_pic",
    "members",
    "created_at",
    "last_message",
    "unread_count",
]


# Room pictures are media: their tests run on the local disk and on moto's S3 server.
on_each_storage = pytest.mark.usefixtures("each_storage")


def png_bytes(color="red") -> bytes:
    return png(color)


def room_pictures(app) -> set[str]:
    return stored_names(app, "room_pictures")


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- create: private ------------------------------------------------------------------------------


def test_private_room_is_created_with_both_members(client, alice, bob):
    response = client.post(
        ROOMS, json={"room_type": "private", "members": [alice.id, bob.id]}, headers=alice.headers
    )
    assert response.status_code == 201
    room = response.get_json()
    assert list(room) == ROOM_KEYS
    assert room["room_type"] == "private"
    assert [room[k] for k in ("name", "username", "description", "profile_pic")] == [None] * 4
    assert {m["id"] for m in room["members"]} == {alice.id, bob.id}
    brief = next(m for m in room["members"] if m["id"] == bob.id)
    assert brief == {
        "id": bob.id,
        "username": bob.username,
        "full_name": "Bob Usmonov",
        "profile_picture": None,
    }
    assert room["created_at"].endswith("Z")
    assert room["last_message"] is None and room["unread_count"] == 0
    uuid.UUID(room["id"])


@pytest.mark.parametrize(
    "caller, listing", [("alice", "other"), ("bob", "other"), ("bob", "both_reversed")]
)
def test_creating_an_existing_private_room_returns_it_with_200(client, alice, bob, caller, listing):
    first = create_private(client, alice, bob)
    account, other = (alice, bob) if caller == "alice" else (bob, alice)
    members = [other.id] if listing == "other" else [other.id, account.id]
    response = client.post(
        ROOMS, json={"room_type": "private", "members": members}, headers=account.headers
    )
    assert response.status_code == 200
    assert response.get_json()["id"] == first


@pytest.mark.parametrize(
    "members",
    [
        "three",
        "self_twice",
        "self_only",
        "nobody",
        "other_twice",
        "two_others",
        "unknown",
    ],
)
def test_private_room_needs_exactly_you_and_one_other(client, alice, bob, make_account, members):
    carol = make_account()
    ids = {
        "three": [alice.id, bob.id, carol.id],
        "self_twice": [alice.id, alice.id],
        "self_only": [alice.id],
        "nobody": [],
        "other_twice": [bob.id, bob.id],
        "two_others": [bob.id, carol.id],
        "unknown": [999_999],
    }[members]
    response = client.post(
        ROOMS, json={"room_type": "private", "members": ids}, headers=alice.headers
    )
    assert response.status_code == 400
    assert "members" in field_errors(response)


@pytest.mark.parametrize("who_blocks", ["they_blocked_me", "i_blocked_them"])
def test_no_private_room_across_a_block(app, client, alice, bob, who_blocks):
    if who_blocks == "they_blocked_me":
        block(app, bob, alice)
    else:
        block(app, alice, bob)
    response = client.post(
        ROOMS, json={"room_type": "private", "members": [bob.id]}, headers=alice.headers
    )
    assert response.status_code == 400
    assert "members" in field_errors(response)
    assert count(app, Room) == 0


def test_no_private_room_with_an_inactive_user(client, alice, make_account):
    pending = make_account(is_active=False)
    response = client.post(
        ROOMS, json={"room_type": "private", "members": [pending.id]}, headers=alice.headers
    )
    assert response.status_code == 400


def test_a_private_account_is_reachable_only_once_it_added_you(app, client, alice, make_account):
    hidden = make_account(is_private=True)
    body = {"room_type": "private", "members": [hidden.id]}
    assert client.post(ROOMS, json=body, headers=alice.headers).status_code == 400
    add_contact(app, hidden, alice)
    assert client.post(ROOMS, json=body, headers=alice.headers).status_code == 201


@pytest.mark.parametrize(
    "field, value",
    [("name", "Chat"), ("username", "our_chat"), ("description", "about us")],
)
def test_private_room_details_must_be_empty(client, alice, bob, field, value):
    response = client.post(
        ROOMS,
        json={"room_type": "private", "members": [bob.id], field: value},
        headers=alice.headers,
    )
    assert response.status_code == 400
    assert field in field_errors(response)


@on_each_storage
def test_private_room_refuses_a_picture(app, client, alice, bob):
    before = room_pictures(app)
    response = client.post(
        ROOMS,
        data={
            "room_type": "private",
            "members": str(bob.id),
            "profile_pic": (io.BytesIO(png_bytes()), "p.png"),
        },
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "profile_pic" in field_errors(response)
    assert room_pictures(app) == before


def test_private_room_accepts_empty_detail_fields_from_forms(client, alice, bob):
    response = client.post(
        ROOMS,
        data={"room_type": "private", "members": str(bob.id), "name": "", "profile_pic": ""},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201


def test_concurrent_creation_of_one_pair_makes_one_room(app, alice, bob):
    barrier = threading.Barrier(4)
    results = []

    def create(caller, other):
        client = app.test_client()
        barrier.wait()
        response = client.post(
            ROOMS, json={"room_type": "private", "members": [other.id]}, headers=caller.headers
        )
        results.append((response.status_code, response.get_json()["id"]))

    threads = [
        threading.Thread(target=create, args=pair) for pair in [(alice, bob), (bob, alice)] * 2
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in results) == [200, 200, 200, 201]
    assert len({room for _, room in results}) == 1
    assert count(app, Room) == 1
    assert count(app, RoomMember) == 2


def test_losing_the_creation_race_returns_the_winners_room(app, client, alice, bob, monkeypatch):
    """The database's unique pair, not the service's look-up, decides the race."""
    winner = create_private(client, bob, alice)
    real = room_services._private_room_id
    calls = []

    def not_yet_visible(low, high):
        calls.append(1)
        return None if len(calls) == 1 else real(low, high)

    monkeypatch.setattr(room_services, "_private_room_id", not_yet_visible)
    response = client.post(
        ROOMS, json={"room_type": "private", "members": [bob.id]}, headers=alice.headers
    )
    assert response.status_code == 200
    assert response.get_json()["id"] == winner
    assert count(app, Room) == 1


# --- create: group ------------------------------------------------------------------------------


def test_group_is_created_with_the_creator_as_owner(app, client, alice, bob, chat_events):
    response = client.post(
        ROOMS,
        json={
            "room_type": "group",
            "name": " Project Team ",
            "username": "project_team",
            "description": "Team discussion",
            "members": [bob.id, alice.id, bob.id],
        },
        headers=alice.headers,
    )
    assert response.status_code == 201
    room = response.get_json()
    assert room["name"] == "Project Team"
    assert room["username"] == "project_team"
    assert room["description"] == "Team discussion"
    assert [m["id"] for m in room["members"]] == [alice.id, bob.id]
    members = client.get(f"/api/chat/members/{room['id']}/list_members/", headers=bob.headers)
    assert {(m["user"]["id"], m["role"]) for m in members.get_json()} == {
        (alice.id, "owner"),
        (bob.id, "member"),
    }
    added = of_type(chat_events, "member_added")
    assert [e.payload["member"]["user"]["id"] for e in added] == [alice.id, bob.id]
    assert all(set(e.recipients) == {alice.id, bob.id} for e in added)


@on_each_storage
def test_group_with_a_picture_is_created_from_a_form(app, client, alice, bob, make_account):
    carol = make_account()
    response = client.post(
        ROOMS,
        data={
            "room_type": "group",
            "name": "Pics",
            "members": [str(bob.id), str(carol.id)],
            "profile_pic": (io.BytesIO(png_bytes()), "pic.png"),
        },
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    room = response.get_json()
    assert room["profile_pic"].startswith("http://localhost/media/room_pictures/")
    assert len(room["members"]) == 3
    assert is_stored(app, room["profile_pic"])
    status, body, headers = fetch_media(client, room["profile_pic"])
    assert (status, headers["content-type"]) == (200, "image/png")
    assert body.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"room_type": "group"}, "name"),
        ({"room_type": "group", "name": "   "}, "name"),
        ({"room_type": "group", "name": "x" * 101}, "name"),
        ({"room_type": "group", "name": "T", "username": "a b"}, "username"),
        ({"room_type": "group", "name": "T", "username": "_bad"}, "username"),
        ({"room_type": "group", "name": "T", "description": "d" * 501}, "description"),
        ({"room_type": "channel", "name": "T"}, "room_type"),
        ({"name": "T"}, "room_type"),
        ({"room_type": "group", "name": "T", "members": 5}, "members"),
        ({"room_type": "group", "name": "T", "members": ["abc"]}, "members"),
        ({"room_type": "group", "name": "T", "members": [2**40]}, "members"),
        ({"room_type": "group", "name": "T", "members": [0]}, "members"),
        ({"room_type": "group", "name": "T", "members": [999_999]}, "members"),
        ({"room_type": "group", "name": "T", "profile_pic": "x"}, "profile_pic"),
        ({"room_type": "group", "name": "T", "colour": "red"}, "colour"),
    ],
)
def test_bad_group_bodies_are_400_on_the_field(client, alice, body, field):
    response = client.post(ROOMS, json=body, headers=alice.headers)
    assert response.status_code == 400
    assert field in field_errors(response)


def test_group_member_who_blocked_the_creator_is_refused(app, client, alice, bob):
    block(app, bob, alice)
    response = client.post(
        ROOMS, json={"room_type": "group", "name": "T", "members": [bob.id]}, headers=alice.headers
    )
    assert response.status_code == 400
    assert "members" in field_errors(response)


def test_group_username_taken_by_another_room_is_400(client, alice, bob):
    create_group(client, alice, username="Team_Room")
    response = client.post(
        ROOMS,
        json={"room_type": "group", "name": "T", "username": "team_room"},
        headers=bob.headers,
    )
    assert response.status_code == 400
    assert "username" in field_errors(response)


@on_each_storage
def test_group_picture_must_be_an_image(app, client, alice):
    before = room_pictures(app)
    response = client.post(
        ROOMS,
        data={"room_type": "group", "name": "T", "profile_pic": (io.BytesIO(b"not png"), "a.png")},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "profile_pic" in field_errors(response)
    assert count(app, Room) == 0
    assert room_pictures(app) == before


def test_creating_rooms_needs_a_token(client, bob):
    response = client.post(ROOMS, json={"room_type": "private", "members": [bob.id]})
    assert response.status_code == 401
    assert set(response.get_json()) == {"detail"}


# --- list and detail ----------------------------------------------------------------------------


def test_room_list_holds_only_my_rooms_newest_activity_first(app, client, cast, make_account):
    quiet = create_group(client, cast.member, name="Quiet")
    busy = create_private(client, cast.member, cast.owner)
    create_group(client, cast.outsider, name="Not mine")
    send(app, cast.owner, busy, "ping")
    response = client.get(ROOMS, headers=cast.member.headers)
    assert response.status_code == 200
    rooms = response.get_json()
    assert [r["id"] for r in rooms] == [busy, quiet, cast.room]
    assert response.headers["X-Total-Count"] == "3"
    assert rooms[0]["last_message"]["text"] == "ping"
    assert rooms[0]["unread_count"] == 1
    assert rooms[1]["last_message"] is None and rooms[1]["unread_count"] == 0
    assert {m["id"] for m in rooms[2]["members"]} == {
        cast.owner.id,
        cast.admin.id,
        cast.member.id,
    }


def test_unread_count_counts_others_messages_since_my_read_marker(app, client, cast):
    def unread(account):
        return client.get(room_url(cast.room), headers=account.headers).get_json()["unread_count"]

    send(app, cast.owner, cast.room, "one")
    send(app, cast.admin, cast.room, "two")
    assert (unread(cast.member), unread(cast.owner), unread(cast.admin)) == (2, 1, 0)
    send(app, cast.member, cast.room, "mine")
    assert unread(cast.member) == 0  # sending a message reads what came before it
    assert unread(cast.owner) == 2
    send(app, cast.owner, cast.room, "three")
    assert (unread(cast.member), unread(cast.owner)) == (1, 0)


def test_room_list_costs_the_same_statements_for_more_rooms(
    app, client, alice, make_account, statements
):
    def listing_cost():
        with statements() as executed:
            response = client.get(ROOMS, headers=alice.headers)
        assert response.status_code == 200
        return len(executed), len(response.get_json())

    for _ in range(2):
        room = create_private(client, alice, make_account())
        send(app, alice, room, "hi")
    few, n_few = listing_cost()
    for _ in range(4):
        friend = make_account()
        room = create_group(client, alice, [friend, make_account()])
        send(app, friend, room, "hello")
    many, n_many = listing_cost()
    assert (n_few, n_many) == (2, 6)
    assert few == many


@pytest.mark.parametrize("kind", ["group", "private"])
def test_room_detail_is_for_members_only(client, cast, kind):
    room = cast.room if kind == "group" else create_private(client, cast.owner, cast.member)
    for account in (cast.owner, cast.member) + ((cast.admin,) if kind == "group" else ()):
        response = client.get(room_url(room), headers=account.headers)
        assert response.status_code == 200
        assert response.get_json()["id"] == room
    hidden = client.get(room_url(room), headers=cast.outsider.headers)
    assert hidden.status_code == 404
    assert hidden.get_json() == {"error": "Resource not found"}
    assert client.get(room_url(room)).status_code == 401


@pytest.mark.parametrize("bad", ["not-a-uuid", "123", uuid.uuid4().hex[:30]])
def test_non_uuid_room_ids_are_404(client, alice, bad):
    assert client.get(room_url(bad), headers=alice.headers).status_code == 404
    assert client.get(HISTORY.format(bad), headers=alice.headers).status_code == 404
    assert client.delete(room_url(bad), headers=alice.headers).status_code == 404


def test_unknown_room_is_404(client, alice):
    assert client.get(room_url(uuid.uuid4()), headers=alice.headers).status_code == 404


# --- update -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_and_admin_update_the_group(client, cast, role, chat_events):
    response = client.patch(
        room_url(cast.room),
        json={"name": "Renamed", "description": "New topic", "username": "renamed_team"},
        headers=cast.by_role(role).headers,
    )
    assert response.status_code == 200
    room = response.get_json()
    assert (room["name"], room["description"], room["username"]) == (
        "Renamed",
        "New topic",
        "renamed_team",
    )
    (updated,) = of_type(chat_events, "room_updated")
    assert updated.payload == {
        "type": "room_updated",
        "room": cast.room,
        "changes": {
            "name": "Renamed",
            "username": "renamed_team",
            "description": "New topic",
            "profile_pic": None,
        },
    }
    assert set(updated.recipients) == {cast.owner.id, cast.admin.id, cast.member.id}


def test_a_member_may_not_update_the_group(client, cast):
    response = client.patch(room_url(cast.room), json={"name": "Mine"}, headers=cast.member.headers)
    assert response.status_code == 403
    assert set(response.get_json()) == {"detail"}


def test_an_outsider_cannot_find_the_group_to_update(client, cast):
    response = client.patch(room_url(cast.room), json={"name": "X"}, headers=cast.outsider.headers)
    assert response.status_code == 404


def test_private_rooms_cannot_be_updated(client, alice, bob):
    room = create_private(client, alice, bob)
    response = client.patch(room_url(room), json={"description": "ours"}, headers=alice.headers)
    assert response.status_code == 403


def test_members_in_an_update_are_ignored(app, client, cast):
    response = client.patch(
        room_url(cast.room),
        json={"name": "Same people", "members": [cast.outsider.id]},
        headers=cast.owner.headers,
    )
    assert response.status_code == 200
    assert cast.outsider.id not in {m["id"] for m in response.get_json()["members"]}
    assert count(app, RoomMember, RoomMember.user_id == cast.outsider.id) == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"username": "no spaces"}, "username"),
        ({"room_type": "private"}, "room_type"),
    ],
)
def test_bad_updates_are_400_on_the_field(client, cast, body, field):
    response = client.patch(room_url(cast.room), json=body, headers=cast.owner.headers)
    assert response.status_code == 400
    assert field in field_errors(response)


def test_update_to_a_taken_username_is_400(client, cast):
    create_group(client, cast.outsider, username="taken_name")
    response = client.patch(
        room_url(cast.room), json={"username": "TAKEN_NAME"}, headers=cast.owner.headers
    )
    assert response.status_code == 400
    assert "username" in field_errors(response)


def test_keeping_its_own_username_is_fine(client, alice):
    room = create_group(client, alice, username="steady")
    response = client.patch(room_url(room), json={"username": "Steady"}, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["username"] == "Steady"


def set_room_picture(client, room, account, color="red") -> str:
    response = client.patch(
        room_url(room),
        data={"profile_pic": (io.BytesIO(png_bytes(color)), "p.png")},
        headers=account.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return response.get_json()["profile_pic"]


@on_each_storage
def test_replacing_the_picture_removes_the_old_file(app, client, cast):
    first = set_room_picture(client, cast.room, cast.owner, "red")
    second = set_room_picture(client, cast.room, cast.owner, "blue")
    assert not is_stored(app, first)
    assert is_stored(app, second)
    assert fetch_media(client, first)[0] == 404
    assert fetch_media(client, second)[0] == 200
    cleared = client.patch(
        room_url(cast.room), json={"profile_pic": None}, headers=cast.owner.headers
    )
    assert cleared.get_json()["profile_pic"] is None
    assert not is_stored(app, second)


# --- delete -------------------------------------------------------------------------------------


def test_owner_deletes_the_group_and_everything_in_it(app, client, cast, chat_events):
    send(app, cast.member, cast.room, "bye")
    response = client.delete(room_url(cast.room), headers=cast.owner.headers)
    assert response.status_code == 204
    assert response.data == b""
    assert count(app, Room) == 0
    assert count(app, RoomMember) == 0
    assert count(app, Message) == 0
    (deleted,) = of_type(chat_events, "room_deleted")
    assert deleted.payload == {"type": "room_deleted", "room": cast.room}
    assert set(deleted.recipients) == {cast.owner.id, cast.admin.id, cast.member.id}
    assert client.get(room_url(cast.room), headers=cast.member.headers).status_code == 404


@on_each_storage
def test_deleting_the_group_removes_its_picture(app, client, cast):
    picture = set_room_picture(client, cast.room, cast.owner)
    refused = client.delete(room_url(cast.room), headers=cast.admin.headers)
    assert refused.status_code == 403
    assert is_stored(app, picture)
    assert client.delete(room_url(cast.room), headers=cast.owner.headers).status_code == 204
    assert not is_stored(app, picture)
    assert fetch_media(client, picture)[0] == 404


@pytest.mark.parametrize("role, status", [("admin", 403), ("member", 403), ("outsider", 404)])
def test_only_the_owner_deletes_a_group(app, client, cast, role, status):
    response = client.delete(room_url(cast.room), headers=cast.by_role(role).headers)
    assert response.status_code == status
    assert count(app, Room) == 1


@pytest.mark.parametrize("deleter", ["alice", "bob"])
def test_either_member_deletes_a_private_room(app, client, alice, bob, make_account, deleter):
    room = create_private(client, alice, bob)
    stranger = make_account()
    assert client.delete(room_url(room), headers=stranger.headers).status_code == 404
    account = alice if deleter == "alice" else bob
    assert client.delete(room_url(room), headers=account.headers).status_code == 204
    assert count(app, Room) == 0
    assert create_private(client, alice, bob) != room


# --- clear messages -----------------------------------------------------------------------------


def clear(client, room, account):
    return client.post(f"{room_url(room)}clear_messages/", headers=account.headers)


def test_owner_clears_the_group(app, client, cast, chat_events):
    replied = send(app, cast.member, cast.room, "one")
    send(app, cast.admin, cast.room, "two", reply_to=uuid.UUID(replied))
    response = clear(client, cast.room, cast.owner)
    assert response.status_code == 200
    assert response.get_json() == {"message": "All messages cleared successfully"}
    assert count(app, Message) == 0
    history = client.get(HISTORY.format(cast.room), headers=cast.member.headers).get_json()
    assert history["count"] == 0 and history["results"] == []
    (cleared,) = of_type(chat_events, "room_cleared")
    assert cleared.payload == {"type": "room_cleared", "room": cast.room}
    assert set(cleared.recipients) == {cast.owner.id, cast.admin.id, cast.member.id}
    assert client.get(ROOMS, headers=cast.member.headers).get_json()[0]["last_message"] is None


@pytest.mark.parametrize("role, status", [("admin", 403), ("member", 403), ("outsider", 404)])
def test_only_the_owner_clears_a_group(app, client, cast, role, status):
    send(app, cast.member, cast.room)
    assert clear(client, cast.room, cast.by_role(role)).status_code == status
    assert count(app, Message) == 1


def test_either_member_clears_a_private_room(app, client, alice, bob, make_account):
    room = create_private(client, alice, bob)
    send(app, alice, room)
    assert clear(client, room, make_account()).status_code == 404
    assert clear(client, room, bob).status_code == 200
    assert count(app, Message) == 0


def test_room_endpoints_need_a_token(client, cast):
    assert client.get(ROOMS).status_code == 401
    assert client.patch(room_url(cast.room), json={"name": "x"}).status_code == 401
    assert client.delete(room_url(cast.room)).status_code == 401
    assert client.post(f"{room_url(cast.room)}clear_messages/").status_code == 401


def test_deleting_a_room_leaves_its_users(app, client, cast):
    assert client.delete(room_url(cast.room), headers=cast.owner.headers).status_code == 204
    assert count(app, User) == 4
