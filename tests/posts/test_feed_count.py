"""The feed's `count` comes from post_counts and public_post_totals, kept by triggers: it
must stay exact."""

import threading
import uuid

import pytest
from sqlalchemy import delete, func, select, text, update

from tests.accounts.helpers import PROFILE, update_user
from tests.support.factories import add_contact, block
from tests.support.posts import POSTS, create_post, post_url
from uzbekhub.accounts.models import User
from uzbekhub.accounts.visibility import public_user
from uzbekhub.extensions import db
from uzbekhub.posts.models import Post, PostCount, PublicPostTotal
from uzbekhub.posts.services import feed_total, in_feed

ACCOUNT = "/api/accounts/account"
ADMIN_USER = "/api/accounts/admin/user/{}/"


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
    assert kept_public_total(app) == counted_public_total(app) == 1
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


def kept_public_total(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(PublicPostTotal.active_posts), 0)))


def counted_public_total(app) -> int:
    """The active posts of public users, counted from the posts themselves."""
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Post)
            .join(Post.owner)
            .where(Post.is_active, public_user())
        )


def posts_seen(app, caller_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Post).join(Post.owner).where(in_feed(caller_id))
        )


def assert_counts_exact(app, client, callers) -> None:
    """The kept public total is the recount, and each caller's feed `count` (through the API
    for the callers, directly for every user) is the number of posts they can see."""
    assert kept_public_total(app) == counted_public_total(app)
    for caller in callers:
        assert feed_count(client, caller) == posts_seen(app, caller.id), caller.email
    with app.app_context():
        everyone = db.session.scalars(select(User.id)).all()
        for user_id in everyone:
            assert db.session.scalar(feed_total(user_id)) == posts_seen(app, user_id), user_id


def test_the_count_stays_exact_through_posts_publicity_blocks_contacts_and_deletions(
    app, client, alice, bob, carol, make_account, make_post
):
    update_user(app, carol, is_private=True)
    adder = make_account("adder@example.com", is_private=True)
    blocker = make_account("blocker@example.com")
    blocked = make_account("blocked@example.com")
    leaving = make_account("leaving@example.com")
    staff = make_account("staff@example.com", is_staff=True)
    callers = (alice, bob, carol, adder, blocker, blocked)
    for owner in (alice, bob, carol, adder, blocker, blocked, leaving):
        create_post(client, owner, "one")
        make_post(owner, "two")
        make_post(owner, "hidden", is_active=False)
    assert_counts_exact(app, client, callers)

    # The private adder lets alice in; the blocker shuts her out; alice shuts blocked out.
    added = client.post(f"{ACCOUNT}/contact/", json={"contact": alice.id}, headers=adder.headers)
    assert added.status_code == 201
    for who, whom in ((blocker, alice), (alice, blocked)):
        response = client.post(
            f"{ACCOUNT}/block/", json={"blocked_user": whom.id}, headers=who.headers
        )
        assert response.status_code == 201
    assert_counts_exact(app, client, callers)

    # Posts made, moderated away and back, deleted.
    extra = create_post(client, blocker, "more").get_json()["id"]
    create_post(client, adder, "more")
    with app.app_context():
        db.session.execute(update(Post).where(Post.owner_id == bob.id).values(is_active=False))
        db.session.commit()
    assert_counts_exact(app, client, callers)
    with app.app_context():
        db.session.execute(update(Post).where(Post.owner_id == bob.id).values(is_active=True))
        db.session.commit()
    assert client.delete(post_url(extra), headers=blocker.headers).status_code == 204
    assert_counts_exact(app, client, callers)

    # Going private and public, deactivated and back.
    for who, private in ((bob, True), (carol, False), (blocker, True)):
        changed = client.patch(PROFILE, json={"is_private": private}, headers=who.headers)
        assert changed.status_code == 200
    assert_counts_exact(app, client, callers)
    update_user(app, blocked, is_active=False)
    update_user(app, adder, is_active=False, is_private=False)
    assert_counts_exact(app, client, (alice, bob, carol, blocker))
    update_user(app, blocked, is_active=True)
    update_user(app, adder, is_active=True, is_private=True)
    assert_counts_exact(app, client, callers)

    # Blocks and contacts undone.
    unblocked = client.delete(f"{ACCOUNT}/block/{blocked.id}/", headers=alice.headers)
    assert unblocked.status_code == 204
    contact_id = added.get_json()["id"]
    dropped = client.delete(f"{ACCOUNT}/contact/{contact_id}/", headers=adder.headers)
    assert dropped.status_code == 204
    assert_counts_exact(app, client, callers)

    # Accounts deleted with their posts: public, private, inactive, in a block.
    update_user(app, bob, is_active=False)
    for gone in (leaving, carol, bob, blocker):
        deleted = client.delete(ADMIN_USER.format(gone.id), headers=staff.headers)
        assert deleted.status_code == 204
        assert_counts_exact(app, client, (alice, adder, blocked))
    assert counted_public_total(app) == 4  # alice's and blocked's two active posts each


def _post_for(connection, owner_id: int) -> None:
    connection.execute(
        text(
            "INSERT INTO posts (id, owner_id, content, is_active, is_edited, created_at) "
            "VALUES (:id, :owner, 'racing', true, false, now())"
        ),
        {"id": uuid.uuid4(), "owner": owner_id},
    )


def _hide(connection, owner_id: int) -> None:
    connection.execute(text("UPDATE users SET is_private = true WHERE id = :id"), {"id": owner_id})


@pytest.mark.parametrize("first, second", [(_post_for, _hide), (_hide, _post_for)])
def test_a_post_and_its_owner_going_private_at_once_keep_the_total_exact(
    app, alice, make_post, first, second
):
    """Each waits for the other (PostgreSQL): without the wait the second would miss the
    first's uncommitted change and count alice's new post as public."""
    make_post(alice)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite runs one writer at a time")
        engine = db.engine
    failed: list[BaseException] = []

    def later():
        try:
            with engine.begin() as connection:
                second(connection, alice.id)
        except BaseException as error:
            failed.append(error)

    with engine.connect() as earlier:
        first(earlier, alice.id)
        thread = threading.Thread(target=later)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive(), f"the second change did not wait for the first: {failed}"
        earlier.commit()
        thread.join(timeout=10)
    assert not failed and not thread.is_alive()
    assert kept_public_total(app) == counted_public_total(app) == 0
