"""Who sees a story (docs/rules.md), from the owner's, a contact's, a marked user's, a stranger's
and a blocked user's side, through every path that applies the rule: detail, user stories,
viewed and reaction."""

import pytest

from tests.support.answers import field_errors
from tests.support.factories import add_contact, block
from tests.support.stories import ACTIVE, REACTION, VIEWED, apply_blocks, new_story
from uzbekhub.accounts.models import User
from uzbekhub.extensions import db

ROLES = ("owner", "contact", "marked", "stranger", "blocked", "blocker")
SEES = {
    "public": {"owner", "contact", "marked", "stranger"},
    "contact": {"owner", "contact"},
    "marked": {"owner", "marked"},
}
CASES = [(audience, role, role in SEES[audience]) for audience in SEES for role in ROLES]
CASE_IDS = [f"{audience}-{role}" for audience, role, _ in CASES]


@pytest.fixture
def story_for(app, client, cast):
    """A story of the given audience, with the marked user, the blocked and the blocker marked
    (and the latter two contacts) before the blocks are made."""

    def make(audience: str) -> dict:
        story = new_story(client, cast.owner, audience=audience, marked=cast.marked_ids())
        apply_blocks(app, cast)
        return story

    return make


@pytest.mark.parametrize("audience, role, sees", CASES, ids=CASE_IDS)
def test_story_detail_obeys_the_audience(client, cast, story_for, audience, role, sees):
    story = story_for(audience)
    response = client.get(f"{ACTIVE}{story['id']}/", headers=cast[role].headers)
    if sees:
        assert response.status_code == 200
        assert response.get_json()["id"] == story["id"]
    else:
        assert response.status_code == 404
        assert response.get_json() == {"error": "Resource not found"}


@pytest.mark.parametrize("audience, role, sees", CASES, ids=CASE_IDS)
def test_user_stories_obey_the_audience(client, cast, story_for, audience, role, sees):
    story = story_for(audience)
    public = new_story(client, cast.owner, audience="public")
    response = client.get(f"{ACTIVE}{cast.owner.id}/stories/", headers=cast[role].headers)
    if role in ("blocked", "blocker"):
        # Blocked either way: the owner's stories do not exist for them at all.
        assert response.status_code == 404
        return
    assert response.status_code == 200
    ids = [item["id"] for item in response.get_json()]
    assert ids == ([story["id"]] if sees else []) + [public["id"]]
    assert response.headers["X-Total-Count"] == str(len(ids))


@pytest.mark.parametrize("audience, role, sees", CASES, ids=CASE_IDS)
def test_viewing_obeys_the_audience(client, cast, story_for, audience, role, sees):
    story = story_for(audience)
    response = client.post(VIEWED, json={"story": story["id"]}, headers=cast[role].headers)
    if role == "owner":
        assert response.status_code == 400
        assert "story" in field_errors(response)
    elif sees:
        assert response.status_code == 201
        assert response.get_json()["viewer"] == cast[role].id
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("audience, role, sees", CASES, ids=CASE_IDS)
def test_reacting_obeys_the_audience(client, cast, story_for, audience, role, sees):
    story = story_for(audience)
    response = client.post(
        REACTION, json={"story": story["id"], "reaction": "🔥"}, headers=cast[role].headers
    )
    if role == "owner":
        assert response.status_code == 400
        assert "story" in field_errors(response)
    elif sees:
        assert response.status_code == 201
        assert response.get_json()["user"] == cast[role].id
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("audience", sorted(SEES))
def test_a_block_made_by_either_side_hides_even_a_public_story_from_a_marked_contact(
    app, client, make_account, audience
):
    owner = make_account()
    friend = make_account()
    add_contact(app, owner, friend)
    story = new_story(client, owner, audience=audience, marked=[str(friend.id)])
    assert client.get(f"{ACTIVE}{story['id']}/", headers=friend.headers).status_code == 200
    block(app, friend, owner)
    assert client.get(f"{ACTIVE}{story['id']}/", headers=friend.headers).status_code == 404
    assert client.get(f"{ACTIVE}{story['id']}/", headers=owner.headers).status_code == 200


def test_a_private_owners_stories_are_only_for_users_it_added_as_contacts(
    app, client, make_account
):
    owner = make_account(is_private=True)
    contact = make_account()
    marked = make_account()
    stranger = make_account()
    add_contact(app, owner, contact)
    public = new_story(client, owner, audience="public", marked=[str(marked.id)])
    marked_only = new_story(client, owner, audience="marked", marked=[str(marked.id)])

    for story in (public, marked_only):
        for outsider in (marked, stranger):
            url = f"{ACTIVE}{story['id']}/"
            assert client.get(url, headers=outsider.headers).status_code == 404
    assert client.get(f"{ACTIVE}{public['id']}/", headers=contact.headers).status_code == 200
    assert client.get(f"{ACTIVE}{marked_only['id']}/", headers=contact.headers).status_code == 404
    assert client.get(f"{ACTIVE}{owner.id}/stories/", headers=stranger.headers).status_code == 404
    listed = client.get(f"{ACTIVE}{owner.id}/stories/", headers=contact.headers).get_json()
    assert [item["id"] for item in listed] == [public["id"]]


def test_a_contact_audience_means_the_owners_contacts_not_the_users_who_added_the_owner(
    app, client, make_account
):
    owner = make_account()
    fan = make_account()
    add_contact(app, fan, owner)  # the fan added the owner; the owner did not add the fan
    story = new_story(client, owner, audience="contact")
    assert client.get(f"{ACTIVE}{story['id']}/", headers=fan.headers).status_code == 404


def test_stories_of_a_deactivated_owner_are_hidden(app, client, make_account):
    owner = make_account()
    viewer = make_account()
    story = new_story(client, owner)
    with app.app_context():
        db.session.get(User, owner.id).is_active = False
        db.session.commit()
    assert client.get(f"{ACTIVE}{story['id']}/", headers=viewer.headers).status_code == 404
    assert client.get(f"{ACTIVE}{owner.id}/stories/", headers=viewer.headers).status_code == 404


def test_user_stories_of_an_unknown_user_are_404(client, alice):
    assert client.get(f"{ACTIVE}999999/stories/", headers=alice.headers).status_code == 404


def test_user_stories_of_oneself_include_every_audience(client, alice, bob):
    ids = [
        new_story(client, alice, audience=audience, marked=[str(bob.id)])["id"]
        for audience in ("public", "contact", "marked")
    ]
    listed = client.get(f"{ACTIVE}{alice.id}/stories/", headers=alice.headers).get_json()
    assert [item["id"] for item in listed] == ids
