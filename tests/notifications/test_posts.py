"""Notifications of posts: likes and comments, grouped, retracted when undone."""

import pytest
from sqlalchemy import select

from tests.notifications.conftest import notifications_of, only, results_of, unread_of
from tests.support.factories import add_contact, block
from tests.support.posts import comment, like, new_post, unlike
from uzbekhub.extensions import db
from uzbekhub.notifications import hooks
from uzbekhub.posts.models import PostLike


def test_a_like_notifies_the_posts_owner_with_the_liker_and_the_post(client, alice, bob):
    post_id = new_post(client, alice, "Sunset over the Registan, with friends and family")
    like(client, bob, post_id)

    body = notifications_of(client, alice)
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    (notification,) = body["results"]
    assert notification["type"] == "post_liked"
    assert notification["actor_count"] == 1
    assert [a["id"] for a in notification["actors"]] == [bob.id]
    assert set(notification["actors"][0]) == {"id", "username", "full_name", "profile_picture"}
    assert notification["target"]["kind"] == "post"
    assert notification["target"]["id"] == post_id
    assert notification["target"]["text"].startswith("Sunset over the Registan")
    assert notification["is_read"] is False
    assert notification["created_at"].endswith("Z")
    assert unread_of(client, alice) == 1
    assert results_of(client, bob) == []


def test_nobody_is_notified_of_their_own_like_or_comment(client, alice):
    post_id = new_post(client, alice)
    like(client, alice, post_id)
    comment(client, alice, post_id)
    assert results_of(client, alice) == []


def test_likes_of_one_post_group_newest_actors_first(client, alice, make_account):
    post_id = new_post(client, alice)
    likers = [make_account() for _ in range(5)]
    for liker in likers:
        like(client, liker, post_id)

    (notification,) = results_of(client, alice)
    assert notification["actor_count"] == 5
    assert [a["id"] for a in notification["actors"]] == [u.id for u in reversed(likers)][:3]
    assert unread_of(client, alice) == 1


def test_another_post_is_another_notification_and_the_newest_is_first(client, alice, bob):
    first, second = new_post(client, alice, "first"), new_post(client, alice, "second")
    like(client, bob, first)
    like(client, bob, second)
    assert [n["target"]["id"] for n in results_of(client, alice)] == [second, first]


def test_a_new_actor_on_a_read_group_makes_it_unread_and_moves_it_up(
    client, alice, bob, make_account
):
    first, second = new_post(client, alice, "first"), new_post(client, alice, "second")
    like(client, bob, first)
    like(client, bob, second)
    response = client.post("/api/notifications/read/", json={"all": True}, headers=alice.headers)
    assert response.get_json() == {"unread_count": 0}

    like(client, make_account(), first)
    results = results_of(client, alice)
    assert [n["target"]["id"] for n in results] == [first, second]
    assert [n["is_read"] for n in results] == [False, True]
    assert results[0]["actor_count"] == 2
    assert unread_of(client, alice) == 1


def test_an_unlike_takes_the_actor_out_and_the_last_one_removes_it(client, alice, bob, carol):
    post_id = new_post(client, alice)
    bob_like = like(client, bob, post_id)
    carol_like = like(client, carol, post_id)

    unlike(client, carol, carol_like)
    (notification,) = results_of(client, alice)
    assert notification["actor_count"] == 1
    assert [a["id"] for a in notification["actors"]] == [bob.id]

    unlike(client, bob, bob_like)
    assert notifications_of(client, alice)["count"] == 0
    assert unread_of(client, alice) == 0


def test_liking_again_after_an_unlike_notifies_again(client, alice, bob):
    post_id = new_post(client, alice)
    unlike(client, bob, like(client, bob, post_id))
    like(client, bob, post_id)
    (notification,) = results_of(client, alice)
    assert notification["actor_count"] == 1 and notification["is_read"] is False


def test_a_comment_notifies_the_posts_owner_and_its_deletion_retracts_it(client, alice, bob):
    post_id = new_post(client, alice)
    comment_id = comment(client, bob, post_id, "Beautiful!")
    notification = only(results_of(client, alice), "post_commented")
    assert notification["target"] == {"kind": "post", "id": post_id, "text": "Hello"}
    assert [a["id"] for a in notification["actors"]] == [bob.id]

    response = client.delete(f"/api/posts/comment/{comment_id}/", headers=bob.headers)
    assert response.status_code == 204
    assert results_of(client, alice) == []


def test_a_reply_notifies_the_author_of_the_comment_it_answers(client, alice, bob, carol):
    post_id = new_post(client, alice)
    answered = comment(client, bob, post_id, "What a view")
    reply = comment(client, carol, post_id, "Agreed", reply_to=answered)

    notification = only(results_of(client, bob), "comment_replied")
    assert notification["target"] == {
        "kind": "comment",
        "id": answered,
        "post": post_id,
        "text": "What a view",
    }
    assert [a["id"] for a in notification["actors"]] == [carol.id]
    # The post's owner hears of both comments, grouped.
    assert only(results_of(client, alice), "post_commented")["actor_count"] == 2

    client.delete(f"/api/posts/comment/{reply}/", headers=carol.headers)
    assert results_of(client, bob) == []


def test_deleting_the_answered_comment_removes_the_reply_notifications_about_it(
    client, alice, bob, carol
):
    post_id = new_post(client, alice)
    answered = comment(client, bob, post_id)
    comment(client, carol, post_id, reply_to=answered)
    client.delete(f"/api/posts/comment/{answered}/", headers=bob.headers)
    assert [n for n in results_of(client, bob) if n["type"] == "comment_replied"] == []


def test_deleting_a_post_removes_its_notifications(client, alice, bob):
    post_id = new_post(client, alice)
    like(client, bob, post_id)
    comment(client, bob, post_id)
    assert client.delete(f"/api/posts/post/{post_id}/", headers=alice.headers).status_code == 204
    assert results_of(client, alice) == []
    assert unread_of(client, alice) == 0


def test_a_mention_in_a_post_or_comment_notifies_the_user_named(client, alice, bob, carol):
    post_id = new_post(client, alice, f"Lunch with @{bob.username.upper()} today")
    notification = only(results_of(client, bob), "mentioned")
    assert notification["target"]["kind"] == "post" and notification["target"]["id"] == post_id
    assert [a["id"] for a in notification["actors"]] == [alice.id]

    comment_id = comment(client, carol, post_id, f"@{alice.username} and @{bob.username}!")
    mentions = [n for n in results_of(client, bob) if n["type"] == "mentioned"]
    assert [n["target"]["kind"] for n in mentions] == ["comment", "post"]
    assert mentions[0]["target"]["id"] == comment_id
    assert only(results_of(client, alice), "mentioned")["actors"][0]["id"] == carol.id


def test_a_mention_of_someone_who_may_not_see_the_post_notifies_nobody(
    app, client, make_account, bob
):
    private = make_account(is_private=True)
    new_post(client, private, f"hi @{bob.username}")
    assert results_of(client, bob) == []
    add_contact(app, private, bob)
    new_post(client, private, f"hi again @{bob.username}")
    assert len(results_of(client, bob)) == 1


def test_nothing_is_created_across_a_block_either_way(app, client, alice, bob, carol):
    block(app, alice, bob)
    # Bob cannot see the post, so he cannot like it; a mention of a blocked user is no news.
    new_post(client, bob, f"@{alice.username}")
    block(app, carol, alice)
    new_post(client, alice, f"@{carol.username}")
    assert results_of(client, alice) == []
    assert results_of(client, carol) == []


def test_a_block_retracts_what_the_blocked_user_did(client, alice, bob, carol):
    post_id = new_post(client, alice)
    like(client, bob, post_id)
    like(client, carol, post_id)
    response = client.post(
        "/api/accounts/account/block/", json={"blocked_user": bob.id}, headers=alice.headers
    )
    assert response.status_code == 201
    (notification,) = results_of(client, alice)
    assert [a["id"] for a in notification["actors"]] == [carol.id]
    assert notification["actor_count"] == 1


def test_being_blocked_retracts_ones_notifications_from_the_blocker(client, alice, bob):
    post_id = new_post(client, bob)
    like(client, alice, post_id)
    client.post(
        "/api/accounts/account/block/", json={"blocked_user": bob.id}, headers=alice.headers
    )
    assert results_of(client, bob) == []


def test_an_actor_the_recipient_may_no_longer_see_is_not_shown(app, client, alice, bob):
    post_id = new_post(client, alice)
    like(client, bob, post_id)
    response = client.patch(
        "/api/accounts/account/profile/", json={"is_private": True}, headers=bob.headers
    )
    assert response.status_code == 200
    assert results_of(client, alice) == []
    assert unread_of(client, alice) == 0
    add_contact(app, bob, alice)
    assert len(results_of(client, alice)) == 1


def test_a_like_and_its_notification_commit_together_or_not_at_all(
    app, client, alice, bob, monkeypatch
):
    post_id = new_post(client, alice)

    def failing(liker, post):
        raise RuntimeError("the notification could not be written")

    monkeypatch.setattr(hooks, "post_liked", failing)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.post("/api/posts/like/", json={"post": post_id}, headers=bob.headers)
    assert response.status_code == 500
    with app.app_context():
        assert db.session.scalars(select(PostLike)).all() == []
    assert results_of(client, alice) == []


def test_a_refused_duplicate_like_adds_nothing(client, alice, bob):
    post_id = new_post(client, alice)
    like(client, bob, post_id)
    again = client.post("/api/posts/like/", json={"post": post_id}, headers=bob.headers)
    assert again.status_code == 400
    (notification,) = results_of(client, alice)
    assert notification["actor_count"] == 1


@pytest.fixture
def carol(make_account):
    return make_account("carol@example.com", first_name="Carol")


def test_deleting_one_of_two_comments_keeps_the_commenter_in_the_group(client, alice, bob):
    post_id = new_post(client, alice)
    first = comment(client, bob, post_id, "one")
    second = comment(client, bob, post_id, "two")
    client.delete(f"/api/posts/comment/{first}/", headers=bob.headers)
    assert only(results_of(client, alice), "post_commented")["actor_count"] == 1
    client.delete(f"/api/posts/comment/{second}/", headers=bob.headers)
    assert results_of(client, alice) == []


def test_a_retraction_moves_the_time_back_to_the_latest_remaining_actor(
    client, alice, bob, carol, make_account
):
    older, newer = new_post(client, alice, "older"), new_post(client, alice, "newer")
    like(client, bob, older)
    bob_time = results_of(client, alice)[0]["created_at"]
    like(client, carol, newer)
    dave = make_account()
    dave_like = like(client, dave, older)
    assert [n["target"]["id"] for n in results_of(client, alice)] == [older, newer]

    unlike(client, dave, dave_like)
    results = results_of(client, alice)
    assert [n["target"]["id"] for n in results] == [newer, older]
    assert results[1]["created_at"] == bob_time


def test_a_deleted_comment_moves_the_time_back_too(client, alice, bob, carol):
    post_id = new_post(client, alice)
    comment(client, bob, post_id, "first")
    bob_time = only(results_of(client, alice), "post_commented")["created_at"]
    late = comment(client, carol, post_id, "second")
    assert only(results_of(client, alice), "post_commented")["created_at"] > bob_time

    client.delete(f"/api/posts/comment/{late}/", headers=carol.headers)
    assert only(results_of(client, alice), "post_commented")["created_at"] == bob_time
