"""The feed page is answered from columns; it must equal PostSchema's dump of the same posts
loaded as ORM entities (the documented contract), for every kind of post and owner."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.accounts.helpers import update_user
from tests.support.contract import assert_answers_the_dump
from tests.support.factories import add_contact, block
from tests.support.posts import POSTS
from uzbekhub.accounts.models import User
from uzbekhub.common.pagination import page_envelope
from uzbekhub.extensions import db
from uzbekhub.posts.models import Post
from uzbekhub.posts.schemas import PostPageSchema
from uzbekhub.posts.services import in_feed, newest_first, with_counts


@pytest.fixture
def world(app, alice, bob, carol, make_account, make_post):
    """Alice reads a feed of public and private owners' posts with images, likes, comments,
    views, edits and empty contents; the posts she must not see are there too."""
    update_user(app, alice, profile_picture="profile_pictures/alice.png")
    update_user(app, bob, is_private=True, first_name="", last_name="")
    add_contact(app, bob, alice)  # bob's posts are visible to alice
    hidden_private = make_account(is_private=True)
    blocked = make_account()
    block(app, alice, blocked)
    make_post(hidden_private, "private, not a contact")
    make_post(blocked, "blocked")
    make_post(alice, "inactive", is_active=False)
    make_post(carol, "plain")
    make_post(bob, "", images=1, likers=[alice])
    make_post(
        carol,
        "popular",
        images=3,
        likers=[alice, bob, carol],
        commenters=[bob, carol],
        viewers=[alice, bob],
    )
    edited_at = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    make_post(alice, "edited", images=2, is_edited=True, updated_at=edited_at, viewers=[carol])
    make_post(bob, "liked by others", likers=[carol], commenters=[carol])
    return alice


def expected_page(app, caller, query: str, owner_id=None) -> dict:
    """PostPageSchema's dump of the page read through the ORM, as the feed was answered
    before it was read as columns."""
    page, size = 1, 10
    for part in query.lstrip("?").split("&"):
        if part.startswith("page="):
            page = int(part.split("=")[1])
        elif part.startswith("page_size="):
            size = int(part.split("=")[1])
    with app.test_request_context(POSTS + query):
        user = db.session.get(User, caller.id)
        stmt = newest_first(select(Post).join(Post.owner).where(in_feed(caller.id, owner_id)))
        args = {"page": page, "page_size": size}
        return PostPageSchema().dump(page_envelope(stmt, args, with_counts(user)))


@pytest.mark.parametrize(
    "query", ["", "?page_size=3", "?page_size=3&page=2", "?page_size=4&page=3", "?page=9"]
)
def test_the_feed_answers_the_schemas_dump_of_the_same_posts(app, client, world, query):
    response = client.get(POSTS + query, headers=world.headers)
    assert_answers_the_dump(response, expected_page(app, world, query))


def test_one_owners_feed_answers_the_schemas_dump(app, client, world, bob, carol):
    for owner in (bob, carol, world):
        query = f"?owner={owner.id}&page_size=2"
        response = client.get(POSTS + query, headers=world.headers)
        assert_answers_the_dump(response, expected_page(app, world, query, owner.id))
    assert client.get(POSTS, headers=world.headers).get_json()["count"] == 5
