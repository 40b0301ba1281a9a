"""Chat API 7-14: members and roles, each rule from the owner's, an admin's, a member's and an
outsider's side (docs/rules.md: owner > admin > member)."""

import uuid

import pytest
from sqlalchemy import select

from tests.support.answers import field_errors
from tests.support.chat import (
    MEMBERS,
    create_group,
    create_private,
    member_action,
    of_type,
    room_url,
)
from tests.support.factories import block
from uzbekhub.chat.models import RoomMember
from uzbekhub.extensions import db


def roles(app, room) -> dict[int, str]:
    with app.app_context():
        rows = db.session.execute(
            select(RoomMember.user_id, RoomMember.role).where(RoomMember.room_id == uuid.UUID(room))
        )
        return dict(rows.all())


def list_members(client, room, account):
    return client.get(MEMBERS.format(room, "list_members"), headers=account.headers)


# --- list_members -------------------------------------------------------------------------------


def test_members_are_listed_with_roles(client, cast):
    response = list_members(client, cast.room, cast.member)
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "3"
    listed = response.get_json()
    assert [(m["user"]["id"], m["role"]) for m in listed] == [
        (cast.owner.id, "owner"),
        (cast.admin.id, "admin"),
        (cast.member.id, "member"),
    ]
    first = listed[0]
    assert list(first) == ["id", "room", "user", "role", "joined_at"]
    assert first["room"] == cast.room
    assert first["user"]["id"] == cast.owner.id and first["role"] == "owner"
    assert isinstance(first["id"], int)
    assert first["joined_at"].endswith("Z")


def test_members_of_a_private_room_are_both_members(client, alice, bob):
    room = create_private(client, alice, bob)
    listed = list_members(client, room, bob).get_json()
    assert {(m["user"]["id"], m["role"]) for m in listed} == {
        (alice.id, "member"),
        (bob.id, "member"),
    }


def test_outsiders_cannot_list_members(client, cast, alice, bob):
    assert list_members(client, cast.room, cast.outsider).status_code == 404
    private = create_private(client, alice, bob)
    assert list_members(client, private, cast.outsider).status_code == 404
    assert client.get(MEMBERS.format(cast.room, "list_members")).status_code == 401
    assert list_members(client, "nope", cast.owner).status_code == 404


def test_member_list_is_paged(client, cast):
    response = client.get(
        MEMBERS.format(cast.room, "list_members") + "?limit=2", headers=cast.owner.headers
    )
    assert len(response.get_json()) == 2
    assert 'rel="next"' in response.headers["Link"]


# --- join and leave -----------------------------------------------------------------------------


def test_anyone_joins_a_group_by_its_id(app, client, cast, chat_events):
    response = member_action(client, cast.outsider, cast.room, "join")
    assert response.status_code == 201
    assert response.get_json() == {"message": "Successfully joined the room"}
    assert roles(app, cast.room)[cast.outsider.id] == "member"
    (added,) = of_type(chat_events, "member_added")
    assert added.payload["room"] == cast.room
    assert added.payload["member"]["user"]["id"] == cast.outsider.id
    assert added.payload["member"]["role"] == "member"
    assert cast.outsider.id in added.recipients and cast.owner.id in added.recipients
    assert client.get(room_url(cast.room), headers=cast.outsider.headers).status_code == 200


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
def test_joining_twice_is_400(client, cast, role):
    response = member_action(client, cast.by_role(role), cast.room, "join")
    assert response.status_code == 400
    assert "non_field_errors" in field_errors(response)


@pytest.mark.parametrize("who_blocks", ["owner_blocked_me", "i_blocked_owner"])
def test_a_block_with_the_owner_hides_the_group(app, client, cast, who_blocks):
    if who_blocks == "owner_blocked_me":
        block(app, cast.owner, cast.outsider)
    else:
        block(app, cast.outsider, cast.owner)
    assert member_action(client, cast.outsider, cast.room, "join").status_code == 404
    assert cast.outsider.id not in roles(app, cast.room)


def test_a_block_with_an_admin_does_not_keep_you_out(app, client, cast):
    block(app, cast.admin, cast.outsider)
    assert member_action(client, cast.outsider, cast.room, "join").status_code == 201


def test_private_rooms_and_unknown_rooms_cannot_be_joined(client, cast, alice, bob):
    private = create_private(client, alice, bob)
    assert member_action(client, cast.outsider, private, "join").status_code == 404
    assert member_action(client, cast.outsider, uuid.uuid4(), "join").status_code == 404
    assert member_action(client, cast.outsider, "not-a-uuid", "join").status_code == 404


@pytest.mark.parametrize("role", ["admin", "member"])
def test_admins_and_members_leave(app, client, cast, role, chat_events):
    leaver = cast.by_role(role)
    response = member_action(client, leaver, cast.room, "leave")
    assert response.status_code == 200
    assert response.get_json() == {"message": "Successfully left the room"}
    assert leaver.id not in roles(app, cast.room)
    (removed,) = of_type(chat_events, "member_removed")
    assert removed.payload["user"]["id"] == leaver.id
    assert leaver.id in removed.recipients and cast.owner.id in removed.recipients
    assert client.get(room_url(cast.room), headers=leaver.headers).status_code == 404


def test_the_owner_cannot_leave_before_transferring(app, client, cast):
    response = member_action(client, cast.owner, cast.room, "leave")
    assert response.status_code == 403
    assert "Transfer" in response.get_json()["detail"]
    assert roles(app, cast.room)[cast.owner.id] == "owner"
    assert (
        member_action(client, cast.owner, cast.room, "transfer_owner", cast.member).status_code
        == 200
    )
    assert member_action(client, cast.owner, cast.room, "leave").status_code == 200


def test_outsiders_cannot_leave(client, cast):
    assert member_action(client, cast.outsider, cast.room, "leave").status_code == 404


def test_private_rooms_are_deleted_not_left(client, alice, bob):
    room = create_private(client, alice, bob)
    assert member_action(client, alice, room, "leave").status_code == 403


# --- set_admin and remove_admin -----------------------------------------------------------------


def test_owner_promotes_a_member(app, client, cast, chat_events):
    response = member_action(client, cast.owner, cast.room, "set_admin", cast.member)
    assert response.status_code == 200
    assert response.get_json() == {"message": "User promoted to admin"}
    assert roles(app, cast.room)[cast.member.id] == "admin"
    (changed,) = of_type(chat_events, "role_changed")
    assert changed.payload["type"] == "role_changed"
    assert changed.payload["room"] == cast.room
    assert changed.payload["member"]["user"]["id"] == cast.member.id
    assert changed.payload["member"]["role"] == "admin"
    assert set(changed.recipients) == {cast.owner.id, cast.admin.id, cast.member.id}


def test_promoting_an_admin_again_changes_nothing(app, client, cast, chat_events):
    assert member_action(client, cast.owner, cast.room, "set_admin", cast.admin).status_code == 200
    assert roles(app, cast.room)[cast.admin.id] == "admin"
    assert of_type(chat_events, "role_changed") == []


def test_owner_demotes_an_admin(app, client, cast, chat_events):
    response = member_action(client, cast.owner, cast.room, "remove_admin", cast.admin)
    assert response.status_code == 200
    assert response.get_json() == {"message": "Admin role removed"}
    assert roles(app, cast.room)[cast.admin.id] == "member"
    (changed,) = of_type(chat_events, "role_changed")
    assert changed.payload["member"]["role"] == "member"


@pytest.mark.parametrize("action", ["set_admin", "remove_admin", "transfer_owner"])
@pytest.mark.parametrize("role", ["admin", "member"])
def test_only_the_owner_changes_roles(app, client, cast, make_account, action, role):
    second_admin = make_account()
    member_action(client, cast.owner, cast.room, "add_member", second_admin)
    member_action(client, cast.owner, cast.room, "set_admin", second_admin)
    before = roles(app, cast.room)
    for target in (cast.member, second_admin, cast.owner):
        response = member_action(client, cast.by_role(role), cast.room, action, target)
        assert response.status_code == 403
    assert roles(app, cast.room) == before


@pytest.mark.parametrize("action", ["set_admin", "remove_admin", "transfer_owner"])
def test_outsiders_get_404_for_role_changes(client, cast, action):
    response = member_action(client, cast.outsider, cast.room, action, cast.member)
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["set_admin", "remove_admin", "transfer_owner"])
def test_owner_cannot_change_their_own_role(app, client, cast, action):
    response = member_action(client, cast.owner, cast.room, action, cast.owner)
    assert response.status_code == 400
    assert "user_id" in field_errors(response)
    assert roles(app, cast.room)[cast.owner.id] == "owner"


@pytest.mark.parametrize(
    "action", ["set_admin", "remove_admin", "transfer_owner", "add_member", "remove_member"]
)
def test_role_changes_are_for_groups_only(client, alice, bob, action):
    room = create_private(client, alice, bob)
    assert member_action(client, alice, room, action, bob).status_code == 403


# --- transfer_owner -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["admin", "member"])
def test_owner_transfers_ownership(app, client, cast, target, chat_events):
    heir = cast.by_role(target)
    response = member_action(client, cast.owner, cast.room, "transfer_owner", heir)
    assert response.status_code == 200
    assert response.get_json() == {"message": "Ownership transferred successfully"}
    after = roles(app, cast.room)
    assert after[heir.id] == "owner"
    assert after[cast.owner.id] == "admin"
    changed = of_type(chat_events, "role_changed")
    assert [(e.payload["member"]["user"]["id"], e.payload["member"]["role"]) for e in changed] == [
        (cast.owner.id, "admin"),
        (heir.id, "owner"),
    ]
    # The rights moved with the role.
    assert client.delete(room_url(cast.room), headers=cast.owner.headers).status_code == 403
    assert client.delete(room_url(cast.room), headers=heir.headers).status_code == 204


# --- add_member ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_and_admin_add_members(app, client, cast, role, chat_events):
    response = member_action(client, cast.by_role(role), cast.room, "add_member", cast.outsider)
    assert response.status_code == 200
    assert response.get_json() == {"message": "Member added successfully"}
    assert roles(app, cast.room)[cast.outsider.id] == "member"
    (added,) = of_type(chat_events, "member_added")
    assert added.payload["member"]["user"]["id"] == cast.outsider.id
    assert cast.outsider.id in added.recipients


def test_a_member_cannot_add(app, client, cast):
    response = member_action(client, cast.member, cast.room, "add_member", cast.outsider)
    assert response.status_code == 403
    assert cast.outsider.id not in roles(app, cast.room)


def test_an_outsider_cannot_add(client, cast, make_account):
    response = member_action(client, cast.outsider, cast.room, "add_member", make_account())
    assert response.status_code == 404


def test_adding_a_member_twice_is_400(client, cast):
    response = member_action(client, cast.owner, cast.room, "add_member", cast.member)
    assert response.status_code == 400
    assert "user_id" in field_errors(response)


@pytest.mark.parametrize("who_blocks", ["target_blocked_adder", "adder_blocked_target"])
def test_users_the_adder_may_not_see_are_404(app, client, cast, who_blocks):
    if who_blocks == "target_blocked_adder":
        block(app, cast.outsider, cast.admin)
    else:
        block(app, cast.admin, cast.outsider)
    response = member_action(client, cast.admin, cast.room, "add_member", cast.outsider)
    assert response.status_code == 404


def test_a_user_blocked_with_the_owner_cannot_be_added(app, client, cast):
    block(app, cast.owner, cast.outsider)
    response = member_action(client, cast.admin, cast.room, "add_member", cast.outsider)
    assert response.status_code == 403
    assert cast.outsider.id not in roles(app, cast.room)


# --- remove_member ------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["admin", "member"])
def test_owner_removes_anyone_else(app, client, cast, target, chat_events):
    gone = cast.by_role(target)
    response = member_action(client, cast.owner, cast.room, "remove_member", gone)
    assert response.status_code == 200
    assert response.get_json() == {"message": "Member removed successfully"}
    assert gone.id not in roles(app, cast.room)
    (removed,) = of_type(chat_events, "member_removed")
    assert list(removed.payload) == ["type", "room", "user"]
    assert removed.payload["room"] == cast.room
    assert removed.payload["user"]["id"] == gone.id
    assert gone.id in removed.recipients


def test_admin_removes_a_plain_member(app, client, cast):
    response = member_action(client, cast.admin, cast.room, "remove_member", cast.member)
    assert response.status_code == 200
    assert cast.member.id not in roles(app, cast.room)


def test_admin_cannot_remove_the_owner(app, client, cast):
    response = member_action(client, cast.admin, cast.room, "remove_member", cast.owner)
    assert response.status_code == 403
    assert cast.owner.id in roles(app, cast.room)


def test_admin_cannot_remove_another_admin(app, client, cast, make_account):
    other_admin = make_account()
    member_action(client, cast.owner, cast.room, "add_member", other_admin)
    member_action(client, cast.owner, cast.room, "set_admin", other_admin)
    response = member_action(client, cast.admin, cast.room, "remove_member", other_admin)
    assert response.status_code == 403
    assert roles(app, cast.room)[other_admin.id] == "admin"


@pytest.mark.parametrize("target", ["owner", "admin", "member"])
def test_a_member_removes_nobody(app, client, cast, make_account, target):
    other = make_account()
    member_action(client, cast.owner, cast.room, "add_member", other)
    victim = other if target == "member" else cast.by_role(target)
    response = member_action(client, cast.member, cast.room, "remove_member", victim)
    assert response.status_code == 403
    assert victim.id in roles(app, cast.room)


def test_an_outsider_removes_nobody(client, cast):
    response = member_action(client, cast.outsider, cast.room, "remove_member", cast.member)
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_removing_yourself_is_400(client, cast, role):
    actor = cast.by_role(role)
    response = member_action(client, actor, cast.room, "remove_member", actor)
    assert response.status_code == 400
    assert "user_id" in field_errors(response)


# --- user_id ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action", ["set_admin", "remove_admin", "transfer_owner", "add_member", "remove_member"]
)
def test_unknown_user_id_is_404(client, cast, action):
    response = member_action(client, cast.owner, cast.room, action, 987_654)
    assert response.status_code == 404
    assert response.get_json() == {"error": "Resource not found"}


@pytest.mark.parametrize("action", ["set_admin", "remove_admin", "transfer_owner", "remove_member"])
def test_a_user_who_is_not_a_member_is_404(client, cast, action):
    response = member_action(client, cast.owner, cast.room, action, cast.outsider)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body", [None, {}, {"user_id": "abc"}, {"user_id": 2**63}, {"user_id": -1}, {"user_id": [1]}]
)
@pytest.mark.parametrize("action", ["set_admin", "add_member", "remove_member"])
def test_malformed_user_id_is_400(client, cast, action, body):
    response = client.post(
        MEMBERS.format(cast.room, action),
        json=body,
        headers=cast.owner.headers,
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "action",
    ["join", "leave", "set_admin", "remove_admin", "transfer_owner", "add_member", "remove_member"],
)
def test_member_endpoints_need_a_token(client, cast, action):
    response = client.post(MEMBERS.format(cast.room, action), json={"user_id": cast.member.id})
    assert response.status_code == 401


def test_an_unrelated_group_is_untouched(app, client, cast, make_account):
    other_room = create_group(client, make_account(), [cast.member])
    member_action(client, cast.owner, cast.room, "remove_member", cast.member)
    assert cast.member.id in roles(app, other_room)
