"""The feed's `count` comes from post_counts, kept by triggers: it must stay exact."""

import uuid

from sqlalchemy import delete, func, select, update

from tests.support.factories import add_contact, block
from tests.support.posts import POSTS, create_post, post_url
from uzbekhub.accounts.models import User
from uzbekhub.extensions import db
from uzbekhub.posts.models import Post, PostCount


def kept_counts(app) -> dict[int, int]:
    with app.app_context():
        rows = db.session.execute(select(PostCount.owner_id, PostCount.active_posts))
        return {owner: n for owner, n in rows if n}


def counted_counts(app) -> dict[int, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Post.owner_id, func.count()).where(Post.is_active).group_by(Post.owner_id)
        )
        return dict(rows.all())


def feed_count(client, account, **query) -> int:
    response = client.get(POSTS, query_string=query, headers=account.headers)
    assert response.status_code == 200
    return response.get_json()["count"]


def test_counts_follow_posts_made_and_deleted_through_the_api(app, client, alice, bob):
    made = [create_post(client, alice, f"Post {n}").get_json()["id"] for n in range(3)]
    create_post(client, bob, "Bob's")
    assert kept_counts(app) == {alice.id: 3, bob.id: 1} == counted_counts(app)
    assert client.delete(post_url(made[0]), headers=alice.headers).status_code == 204
    assert kept_counts(app) == {alice.id: 2, bob.id: 1} == counted_counts(app)
    assert feed_count(client, bob) == 3 and feed_count(client, bob, owner=alice.id) == 2


def test_counts_follow_moderation_and_owner_changes_made_in_the_database(
    app, client, alice, bob, make_post
):
    first, second = (uuid.UUID(make_post(alice, text)) for text in ("one", "two"))
    make_post(alice, "hidden", is_active=False)
    assert kept_counts(app) == {alice.id: 2}
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == first).values(is_active=False))
        db.session.execute(update(Post).where(Post.id == second).values(owner_id=bob.id))
        db.session.commit()
    assert kept_counts(app) == {bob.id: 1} == counted_counts(app)
    with app.app_context():
        db.session.execute(update(Post).values(is_active=True))
        db.session.commit()
    assert kept_counts(app) == {alice.id: 2, bob.id: 1} == counted_counts(app)
    assert feed_count(client, bob) == 3


def test_counts_go_with_a_deleted_account(app, client, alice, bob, make_post):
    make_post(alice, "one")
    make_post(bob, "two")
    with app.app_context():
        db.session.execute(delete(User).where(User.id == alice.id))
        db.session.commit()
    assert kept_counts(app) == {bob.id: 1} == counted_counts(app)
    assert feed_count(client, bob) == 1


def test_the_count_applies_the_visibility_rules_to_every_owner(
    app, client, alice, bob, carol, make_account, make_post
):
    friend = make_account("friend@example.com", is_private=True)
    stranger = make_account("stranger@example.com", is_private=True)
    add_contact(app, friend, alice)
    for owner in (alice, bob, carol, friend, stranger):
        make_post(owner)
        make_post(owner)
    block(app, carol, alice)
    # alice sees her own, bob's and her private friend's posts; not carol's nor the stranger's.
    assert feed_count(client, alice) == 6
    assert feed_count(client, alice, owner=carol.id) == 0
    assert feed_count(client, alice, owner=friend.id) == 2
    # bob sees everyone public: alice and carol; private owners have not added him.
    assert feed_count(client, bob) == 6
    assert feed_count(client, stranger) == 8
