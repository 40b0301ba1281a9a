"""Stories 10-13 (reactions and views) and the owner's list of viewers."""

import threading

import pytest

from tests.support.answers import field_errors
from tests.support.factories import block
from tests.support.stories import ACTIVE, ARCHIVE, REACTION, VIEWED, new_story
from uzbekhub.accounts.models import User
from uzbekhub.extensions import db


def react(client, account, story_id, reaction="❤️"):
    return client.post(
        REACTION, json={"story": story_id, "reaction": reaction}, headers=account.headers
    )


def view(client, account, story_id, **extra):
    return client.post(VIEWED, json={"story": story_id, **extra}, headers=account.headers)


# --- reactions -------------------------------------------------------------------------------------


def test_a_reaction_answers_as_the_spec_shows(client, alice, bob):
    story = new_story(client, alice)
    response = react(client, bob, story["id"])
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == ["id", "story", "user", "reaction", "reacted_at"]
    assert (body["story"], body["user"], body["reaction"]) == (story["id"], bob.id, "❤️")
    assert body["reacted_at"].endswith("Z")


def test_a_reaction_may_come_as_multipart(client, alice, bob):
    story = new_story(client, alice)
    response = client.post(
        REACTION,
        data={"story": str(story["id"]), "reaction": "👍"},
        headers=bob.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201


def test_a_second_reaction_to_the_same_story_is_400(client, alice, bob):
    story = new_story(client, alice)
    assert react(client, bob, story["id"]).status_code == 201
    second = react(client, bob, story["id"], "👍")
    assert second.status_code == 400
    assert field_errors(second)["story"] == ["You have already reacted to this story."]


def test_concurrent_reactions_make_one_row_and_one_clean_400(app, alice, bob):
    story = new_story(app.test_client(), alice)
    results = []
    barrier = threading.Barrier(4)

    def attempt():
        barrier.wait()
        results.append(react(app.test_client(), bob, story["id"]).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201, 400, 400, 400]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"reaction": "❤️"}, "story"),
        ({"story": "abc", "reaction": "❤️"}, "story"),
        ({"story": 1}, "reaction"),
        ({"story": 1, "reaction": ""}, "reaction"),
        ({"story": 1, "reaction": "   "}, "reaction"),
        ({"story": 1, "reaction": "x" * 33}, "reaction"),
        ({"story": 1, "reaction": "❤️", "user": 5}, "user"),
    ],
)
def test_reaction_input_is_validated(client, alice, bob, body, field):
    new_story(client, alice)
    response = client.post(REACTION, json=body, headers=bob.headers)
    assert response.status_code == 400
    assert field in field_errors(response)


def test_reacting_to_an_unknown_story_is_404(client, bob):
    assert react(client, bob, 987654).status_code == 404


def test_reacting_to_a_story_of_a_user_who_blocked_the_caller_is_404(app, client, alice, bob):
    story = new_story(client, alice)
    block(app, alice, bob)
    assert react(client, bob, story["id"]).status_code == 404
    assert client.get(f"{ACTIVE}{story['id']}/", headers=bob.headers).status_code == 404


def test_the_reactor_changes_and_deletes_their_reaction(client, alice, bob):
    story = new_story(client, alice)
    reaction = react(client, bob, story["id"]).get_json()
    url = f"{REACTION}{reaction['id']}/"
    changed = client.patch(url, json={"reaction": "👍"}, headers=bob.headers)
    assert changed.status_code == 200
    assert changed.get_json() == {**reaction, "reaction": "👍"}
    assert client.delete(url, headers=bob.headers).status_code == 204
    assert client.delete(url, headers=bob.headers).status_code == 404
    assert react(client, bob, story["id"], "😮").status_code == 201


def test_another_users_reaction_is_403_to_the_story_owner_and_404_to_others(
    client, alice, bob, make_account
):
    carol = make_account()
    story = new_story(client, alice)
    reaction = react(client, bob, story["id"]).get_json()
    url = f"{REACTION}{reaction['id']}/"
    # The story's owner sees the reaction (in the viewers list) but may not change it.
    for response in (
        client.patch(url, json={"reaction": "💩"}, headers=alice.headers),
        client.delete(url, headers=alice.headers),
    ):
        assert response.status_code == 403
        assert set(response.get_json()) == {"detail"}
    # Anyone else does not even learn that it exists.
    assert client.patch(url, json={"reaction": "💩"}, headers=carol.headers).status_code == 404
    assert client.delete(url, headers=carol.headers).status_code == 404
    assert (
        client.patch(f"{REACTION}987654/", json={"reaction": "x"}, headers=bob.headers).status_code
        == 404
    )
    viewers = client.get(f"{ACTIVE}{story['id']}/viewers/", headers=alice.headers).get_json()
    assert viewers[0]["reaction"] == "❤️"


def test_a_reaction_to_an_expired_story_can_be_deleted_but_not_changed(
    client, alice, bob, story_ttl
):
    story = new_story(client, alice)
    reaction = react(client, bob, story["id"]).get_json()
    story_ttl(0)
    url = f"{REACTION}{reaction['id']}/"
    assert client.patch(url, json={"reaction": "👍"}, headers=bob.headers).status_code == 404
    assert client.delete(url, headers=bob.headers).status_code == 204


def test_a_reaction_cannot_be_changed_once_the_owner_blocked_the_reactor(app, client, alice, bob):
    story = new_story(client, alice)
    reaction = react(client, bob, story["id"]).get_json()
    block(app, alice, bob)
    url = f"{REACTION}{reaction['id']}/"
    assert client.patch(url, json={"reaction": "👍"}, headers=bob.headers).status_code == 404
    assert client.delete(url, headers=bob.headers).status_code == 204


def test_reaction_paths_need_a_token(client):
    assert client.post(REACTION, json={"story": 1, "reaction": "x"}).status_code == 401
    assert client.patch(f"{REACTION}1/", json={"reaction": "x"}).status_code == 401
    assert client.delete(f"{REACTION}1/").status_code == 401


# --- views ---------------------------------------------------------------------------------------


def test_viewed_answers_as_the_spec_shows_with_the_caller_as_viewer(client, alice, bob):
    story = new_story(client, alice)
    response = view(client, bob, story["id"], viewer=alice.id)  # a forged viewer
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == ["id", "story", "viewer", "viewed_at"]
    assert (body["story"], body["viewer"]) == (story["id"], bob.id)
    viewers = client.get(f"{ACTIVE}{story['id']}/viewers/", headers=alice.headers).get_json()
    assert [row["viewer"]["id"] for row in viewers] == [bob.id]


def test_any_forged_viewer_is_ignored_whatever_its_type(client, alice, bob):
    story = new_story(client, alice)
    assert view(client, bob, story["id"], viewer="not even an id").status_code == 201


def test_a_story_is_viewed_once_per_user(client, alice, bob, make_account):
    story = new_story(client, alice)
    assert view(client, bob, story["id"]).status_code == 201
    again = view(client, bob, story["id"])
    assert again.status_code == 400
    assert field_errors(again)["story"] == ["You have already viewed this story."]
    assert view(client, make_account(), story["id"]).status_code == 201


def test_viewing_input_is_validated(client, alice, bob):
    assert "story" in field_errors(client.post(VIEWED, json={}, headers=bob.headers))
    assert "story" in field_errors(client.post(VIEWED, json={"story": "x"}, headers=bob.headers))
    assert view(client, bob, 987654).status_code == 404
    assert client.post(VIEWED, json={"story": 1}).status_code == 401


def test_viewing_a_story_of_a_user_who_blocked_the_caller_is_404(app, client, alice, bob):
    story = new_story(client, alice)
    block(app, alice, bob)
    assert view(client, bob, story["id"]).status_code == 404


# --- the owner's viewers list --------------------------------------------------------------------


def test_the_owner_sees_who_viewed_when_and_their_reaction_newest_first(
    client, alice, bob, make_account
):
    carol = make_account()
    dave = make_account()
    story = new_story(client, alice)
    view(client, bob, story["id"])
    view(client, carol, story["id"])
    react(client, carol, story["id"], "🔥")
    react(client, dave, story["id"], "👏")  # reacting counts as viewing
    response = client.get(f"{ACTIVE}{story['id']}/viewers/", headers=alice.headers)
    assert response.status_code == 200
    rows = response.get_json()
    assert [(row["viewer"]["id"], row["reaction"]) for row in rows] == [
        (dave.id, "👏"),
        (carol.id, "🔥"),
        (bob.id, None),
    ]
    assert list(rows[0]) == ["viewer", "viewed_at", "reaction"]
    assert set(rows[0]["viewer"]) == {"id", "username", "full_name", "profile_picture"}
    assert rows[0]["viewed_at"].endswith("Z")
    assert response.headers["X-Total-Count"] == "3"


def test_the_viewers_list_is_404_to_everyone_but_the_owner(app, client, alice, bob, make_account):
    story = new_story(client, alice)
    view(client, bob, story["id"])
    url = f"{ACTIVE}{story['id']}/viewers/"
    stranger = make_account()
    blocked = make_account()
    block(app, alice, blocked)
    for account in (bob, stranger, blocked):
        assert client.get(url, headers=account.headers).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get(f"{ACTIVE}987654/viewers/", headers=alice.headers).status_code == 404


def test_viewers_blocked_or_deactivated_since_are_left_out(app, client, alice, bob, make_account):
    carol = make_account()
    dave = make_account()
    story = new_story(client, alice)
    for viewer in (bob, carol, dave):
        view(client, viewer, story["id"])
    block(app, bob, alice)
    with app.app_context():
        db.session.get(User, dave.id).is_active = False
        db.session.commit()
    rows = client.get(f"{ACTIVE}{story['id']}/viewers/", headers=alice.headers).get_json()
    assert [row["viewer"]["id"] for row in rows] == [carol.id]


def test_viewers_of_an_expired_story_are_under_the_archive(client, alice, bob, story_ttl):
    story = new_story(client, alice)
    react(client, bob, story["id"], "👍")
    story_ttl(0)
    assert client.get(f"{ACTIVE}{story['id']}/viewers/", headers=alice.headers).status_code == 404
    rows = client.get(f"{ARCHIVE}{story['id']}/viewers/", headers=alice.headers).get_json()
    assert [(row["viewer"]["id"], row["reaction"]) for row in rows] == [(bob.id, "👍")]
    assert client.get(f"{ARCHIVE}{story['id']}/viewers/", headers=bob.headers).status_code == 404


def test_the_viewers_list_costs_the_same_statements_for_one_viewer_or_many(
    client, alice, make_account, statements
):
    story = new_story(client, alice)
    url = f"{ACTIVE}{story['id']}/viewers/"
    react(client, make_account(), story["id"])
    with statements() as one:
        client.get(url, headers=alice.headers)
    for _ in range(4):
        react(client, make_account(), story["id"])
    with statements() as five:
        assert len(client.get(url, headers=alice.headers).get_json()) == 5
    assert len(five) == len(one)
