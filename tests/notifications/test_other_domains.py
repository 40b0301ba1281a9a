"""Notifications of stories, contacts and chat groups."""

import pytest

from tests.accounts.helpers import CONTACTS
from tests.notifications.conftest import only, results_of, unread_of
from tests.support.chat import create_group, member_action, room_url
from tests.support.factories import add_contact, block
from tests.support.stories import ACTIVE, REACTION, new_story


@pytest.fixture
def carol(make_account):
    return make_account("carol@example.com", first_name="Carol")


def react(client, account, story_id, reaction="🔥") -> int:
    response = client.post(
        REACTION, json={"story": story_id, "reaction": reaction}, headers=account.headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


# --- stories -------------------------------------------------------------------------------------


def test_a_reaction_notifies_the_storys_owner_and_taking_it_back_retracts_it(client, alice, bob):
    story = new_story(client, alice)
    reaction_id = react(client, bob, story["id"])
    notification = only(results_of(client, alice), "story_reacted")
    assert notification["target"] == {"kind": "story", "id": story["id"], "media": story["media"]}
    assert [a["id"] for a in notification["actors"]] == [bob.id]

    response = client.delete(f"{REACTION}{reaction_id}/", headers=bob.headers)
    assert response.status_code == 204
    assert results_of(client, alice) == []


def test_marked_users_are_notified_when_they_may_see_the_story(app, client, alice, bob, carol):
    # Audience `contact`: Bob is Alice's contact and sees it; Carol is marked but does not.
    add_contact(app, alice, bob)
    new_story(client, alice, audience="contact", marked=[bob.id, carol.id])
    assert only(results_of(client, bob), "story_marked")["actors"][0]["id"] == alice.id
    assert results_of(client, carol) == []


def test_unmarking_retracts_and_deleting_the_story_removes_its_notifications(
    client, alice, bob, carol
):
    story = new_story(client, alice, marked=[bob.id, carol.id])
    assert len(results_of(client, carol)) == 1
    response = client.patch(
        f"{ACTIVE}{story['id']}/", json={"marked": [bob.id]}, headers=alice.headers
    )
    assert response.status_code == 200, response.get_json()
    assert results_of(client, carol) == []
    assert len(results_of(client, bob)) == 1

    assert client.delete(f"{ACTIVE}{story['id']}/", headers=alice.headers).status_code == 204
    assert results_of(client, bob) == [] and unread_of(client, bob) == 0


def test_a_mention_in_a_caption_notifies_who_may_see_the_story(client, alice, bob, carol):
    new_story(client, alice, caption=f"with @{bob.username}", audience="marked", marked=[carol.id])
    assert results_of(client, bob) == []  # not in the audience
    story = new_story(client, alice, caption=f"with @{bob.username}")
    mention = only(results_of(client, bob), "mentioned")
    assert mention["target"]["kind"] == "story" and mention["target"]["id"] == story["id"]


# --- contacts ------------------------------------------------------------------------------------


def test_adding_a_contact_notifies_the_user_added_and_removing_it_retracts(client, alice, bob):
    response = client.post(CONTACTS, json={"contact": bob.id}, headers=alice.headers)
    assert response.status_code == 201, response.get_json()
    notification = only(results_of(client, bob), "contact_added")
    assert notification["target"] is None
    assert [a["id"] for a in notification["actors"]] == [alice.id]

    contact_id = response.get_json()["id"]
    assert client.delete(f"{CONTACTS}{contact_id}/", headers=alice.headers).status_code == 204
    assert results_of(client, bob) == []


def test_contacts_added_by_several_users_group(client, alice, bob, carol):
    client.post(CONTACTS, json={"contact": alice.id}, headers=bob.headers)
    client.post(CONTACTS, json={"contact": alice.id}, headers=carol.headers)
    notification = only(results_of(client, alice), "contact_added")
    assert notification["actor_count"] == 2
    assert [a["id"] for a in notification["actors"]] == [carol.id, bob.id]


def test_a_private_user_adding_a_contact_notifies_them(client, make_account, bob):
    private = make_account(is_private=True)
    response = client.post(CONTACTS, json={"contact": bob.id}, headers=private.headers)
    assert response.status_code == 201
    assert only(results_of(client, bob), "contact_added")["actors"][0]["id"] == private.id


# --- chat groups ---------------------------------------------------------------------------------


def test_being_added_to_a_group_notifies_the_member(client, alice, bob, carol):
    room_id = create_group(client, alice, [bob], name="Hikers")
    notification = only(results_of(client, bob), "group_added")
    assert notification["target"] == {"kind": "room", "id": room_id, "name": "Hikers"}
    assert results_of(client, alice) == []

    assert member_action(client, alice, room_id, "add_member", carol).status_code == 200
    assert only(results_of(client, carol), "group_added")["actors"][0]["id"] == alice.id


def test_being_made_admin_or_owner_notifies_and_removal_retracts(client, alice, bob):
    room_id = create_group(client, alice, [bob])
    assert member_action(client, alice, room_id, "set_admin", bob).status_code == 200
    made_admin = only(results_of(client, bob), "role_changed")
    assert made_admin["target"]["id"] == room_id

    assert member_action(client, alice, room_id, "remove_admin", bob).status_code == 200
    assert [n["type"] for n in results_of(client, bob)] == ["group_added"]

    assert member_action(client, alice, room_id, "transfer_owner", bob).status_code == 200
    assert only(results_of(client, bob), "role_changed")["is_read"] is False

    assert member_action(client, bob, room_id, "remove_member", alice).status_code == 200
    assert results_of(client, alice) == []


def test_leaving_or_deleting_a_group_removes_its_notifications(client, alice, bob, carol):
    room_id = create_group(client, alice, [bob, carol])
    assert member_action(client, bob, room_id, "leave").status_code == 200
    assert results_of(client, bob) == []
    assert client.delete(room_url(room_id), headers=alice.headers).status_code == 204
    assert results_of(client, carol) == []


def test_a_blocked_adder_notifies_nobody(app, client, alice, bob, carol):
    block(app, bob, carol)  # between two members: groups allow it
    room_id = create_group(client, alice, [carol])
    member_action(client, alice, room_id, "set_admin", carol)
    assert member_action(client, carol, room_id, "add_member", bob).status_code in (200, 404)
    assert results_of(client, bob) == []
