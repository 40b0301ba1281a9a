"""Mentions follow the text: an edit that names someone new notifies them (once), an edit
that drops a name takes the mention back."""

import pytest

from tests.notifications.conftest import READ, only, results_of, unread_of
from tests.support.factories import add_contact
from tests.support.posts import comment, new_post
from tests.support.stories import ACTIVE, new_story


@pytest.fixture
def carol(make_account):
    return make_account("carol@example.com", first_name="Carol")


def edit_post(client, account, post_id, content):
    response = client.patch(
        f"/api/posts/post/{post_id}/", json={"content": content}, headers=account.headers
    )
    assert response.status_code == 200, response.get_json()


def edit_comment(client, account, comment_id, text):
    response = client.patch(
        f"/api/posts/comment/{comment_id}/", json={"comment": text}, headers=account.headers
    )
    assert response.status_code == 200, response.get_json()


def edit_caption(client, account, story_id, caption):
    response = client.patch(
        f"{ACTIVE}{story_id}/", json={"caption": caption}, headers=account.headers
    )
    assert response.status_code == 200, response.get_json()


def mentions_of(client, account) -> list[dict]:
    return [n for n in results_of(client, account) if n["type"] == "mentioned"]


def read_all(client, account) -> None:
    response = client.post(READ, json={"all": True}, headers=account.headers)
    assert response.status_code == 200


def test_editing_a_comment_to_name_someone_notifies_them(client, alice, bob, carol):
    post_id = new_post(client, alice)
    comment_id = comment(client, bob, post_id, "Nice")
    assert mentions_of(client, carol) == []

    edit_comment(client, bob, comment_id, f"Nice, @{carol.username}")
    mention = only(results_of(client, carol), "mentioned")
    assert mention["target"]["kind"] == "comment" and mention["target"]["id"] == comment_id
    assert [a["id"] for a in mention["actors"]] == [bob.id]
    assert unread_of(client, carol) == 1


def test_an_edit_that_keeps_a_name_does_not_notify_again(client, alice, bob, carol):
    post_id = new_post(client, alice)
    comment_id = comment(client, bob, post_id, f"@{carol.username} look")
    read_all(client, carol)
    (before,) = mentions_of(client, carol)

    edit_comment(client, bob, comment_id, f"@{carol.username} look at this")
    edit_post(client, alice, post_id, "Hello again")  # an edit of the post is not the comment's
    (after,) = mentions_of(client, carol)
    unchanged = ("id", "actors", "actor_count", "is_read", "created_at")
    assert [after[key] for key in unchanged] == [before[key] for key in unchanged]
    assert after["is_read"] is True
    assert unread_of(client, carol) == 0


def test_an_edit_that_drops_a_name_takes_the_mention_back(client, alice, bob, carol):
    post_id = new_post(client, alice)
    comment_id = comment(client, bob, post_id, f"@{carol.username} and @{alice.username}")
    assert len(mentions_of(client, carol)) == 1

    edit_comment(client, bob, comment_id, f"only @{alice.username}")
    assert mentions_of(client, carol) == [] and unread_of(client, carol) == 0
    assert only(results_of(client, alice), "mentioned")["actors"][0]["id"] == bob.id


def test_an_edit_names_only_who_may_see_the_post(app, client, make_account, bob, carol):
    private = make_account(is_private=True)
    add_contact(app, private, bob)
    post_id = new_post(client, private)
    comment_id = comment(client, bob, post_id, "first")
    edit_comment(client, bob, comment_id, f"@{carol.username} come see")
    assert mentions_of(client, carol) == []  # Carol may not see the private post


def test_editing_a_post_notifies_the_newly_named_and_retracts_the_dropped(
    client, alice, bob, carol
):
    post_id = new_post(client, alice, f"Plov with @{bob.username}")
    read_all(client, bob)
    edit_post(client, alice, post_id, f"Plov with @{bob.username} and @{carol.username}")
    assert only(results_of(client, carol), "mentioned")["target"]["id"] == post_id
    (kept,) = mentions_of(client, bob)
    assert kept["is_read"] is True and unread_of(client, bob) == 0

    edit_post(client, alice, post_id, f"Plov with @{carol.username}")
    assert mentions_of(client, bob) == []
    assert len(mentions_of(client, carol)) == 1


def test_editing_a_story_caption_notifies_the_newly_named_and_retracts_the_dropped(
    client, alice, bob, carol
):
    story = new_story(client, alice, caption="Samarkand")
    edit_caption(client, alice, story["id"], f"Samarkand with @{bob.username}")
    mention = only(results_of(client, bob), "mentioned")
    assert mention["target"]["kind"] == "story" and mention["target"]["id"] == story["id"]
    read_all(client, bob)

    edit_caption(client, alice, story["id"], f"Samarkand with @{bob.username}!")
    assert only(results_of(client, bob), "mentioned")["is_read"] is True

    edit_caption(client, alice, story["id"], f"with @{carol.username}")
    assert mentions_of(client, bob) == [] and unread_of(client, bob) == 0
    assert len(mentions_of(client, carol)) == 1


def test_a_name_dropped_then_written_again_notifies_again(client, alice, bob, carol):
    post_id = new_post(client, alice)
    comment_id = comment(client, bob, post_id, f"@{carol.username}")
    edit_comment(client, bob, comment_id, "nobody")
    edit_comment(client, bob, comment_id, f"@{carol.username} after all")
    (mention,) = mentions_of(client, carol)
    assert mention["is_read"] is False and mention["actor_count"] == 1
