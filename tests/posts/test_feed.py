"""Posts 1 and myposts: the page-number envelope, visibility, counts and their cost."""

import pytest
from sqlalchemy import update

from tests.support.answers import field_errors
from tests.support.factories import add_contact, block
from tests.support.posts import MYPOSTS, POSTS
from uzbekhub.accounts.models import User
from uzbekhub.extensions import db


def ids(response) -> list[str]:
    return [post["id"] for post in response.get_json()["results"]]


def test_feed_is_a_page_envelope_newest_first(client, alice, bob, make_post):
    made = [make_post(alice if n % 2 else bob, f"Post {n}") for n in range(3)]
    response = client.get(POSTS, headers=alice.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    assert ids(response) == list(reversed(made))


def test_feed_pages_link_to_each_other(client, alice, make_post):
    made = [make_post(alice, f"Post {n}") for n in range(5)]
    first = client.get(f"{POSTS}?page_size=2", headers=alice.headers).get_json()
    assert first["count"] == 5
    assert first["next"] == "http://localhost/api/posts/post/?page_size=2&page=2"
    assert first["previous"] is None
    second = client.get(first["next"].removeprefix("http://localhost"), headers=alice.headers)
    body = second.get_json()
    assert ids(second) == [made[2], made[1]]
    assert body["previous"] == "http://localhost/api/posts/post/?page_size=2&page=1"
    last = client.get(body["next"].removeprefix("http://localhost"), headers=alice.headers)
    assert ids(last) == [made[0]] and last.get_json()["next"] is None


def test_default_page_size_is_ten(client, alice, make_post):
    for n in range(12):
        make_post(alice, f"Post {n}")
    body = client.get(POSTS, headers=alice.headers).get_json()
    assert len(body["results"]) == 10 and body["count"] == 12


def test_an_over_large_page_size_is_cut_to_a_hundred(client, alice, make_post):
    for n in range(101):
        make_post(alice, f"Post {n}")
    response = client.get(f"{POSTS}?page_size=100000", headers=alice.headers)
    assert response.status_code == 200
    assert len(response.get_json()["results"]) == 100


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page_size=0", "page_size"),
        ("page_size=abc", "page_size"),
        ("owner=abc", "owner"),
    ],
)
def test_bad_paging_and_filters_are_400(client, alice, query, field):
    for path in (POSTS, MYPOSTS):
        if field == "owner" and path == MYPOSTS:
            continue
        response = client.get(f"{path}?{query}", headers=alice.headers)
        assert response.status_code == 400
        assert field in field_errors(response)


def test_a_page_past_the_end_is_empty(client, alice, make_post):
    make_post(alice)
    body = client.get(f"{POSTS}?page=5", headers=alice.headers).get_json()
    assert body["results"] == [] and body["count"] == 1
    assert body["previous"].endswith("page=4")


def test_feed_filters_by_owner(client, alice, bob, make_post):
    make_post(alice, "Alice's")
    bobs = make_post(bob, "Bob's")
    response = client.get(f"{POSTS}?owner={bob.id}", headers=alice.headers)
    assert ids(response) == [bobs]
    assert client.get(f"{POSTS}?owner=999999", headers=alice.headers).get_json()["count"] == 0


def test_feed_leaves_out_what_the_caller_may_not_see(
    app, client, alice, bob, carol, make_account, make_post
):
    private_friend = make_account("friend@example.com", is_private=True)
    private_stranger = make_account("stranger@example.com", is_private=True)
    gone = make_account("gone@example.com")
    blocked_by_me = make_account("blocked@example.com")
    blocking_me = make_account("blocking@example.com")
    add_contact(app, private_friend, alice)
    add_contact(app, alice, private_stranger)  # only the private owner's contacts count
    block(app, alice, blocked_by_me)
    block(app, blocking_me, alice)

    visible = {
        make_post(alice, "own"),
        make_post(bob, "public"),
        make_post(private_friend, "friend"),
    }
    make_post(alice, "own, moderated", is_active=False)
    make_post(carol, "moderated", is_active=False)
    make_post(private_stranger, "private")
    make_post(blocked_by_me, "blocked")
    make_post(blocking_me, "blocking")
    make_post(gone, "deactivated")
    with app.app_context():
        db.session.execute(update(User).where(User.id == gone.id).values(is_active=False))
        db.session.commit()

    body = client.get(f"{POSTS}?page_size=100", headers=alice.headers).get_json()
    assert body["count"] == len(visible)
    assert {post["id"] for post in body["results"]} == visible
    hidden_owner = client.get(f"{POSTS}?owner={blocking_me.id}", headers=alice.headers)
    assert hidden_owner.get_json()["count"] == 0


def test_a_blocked_user_sees_none_of_the_blockers_posts(app, client, alice, bob, make_post):
    make_post(alice)
    block(app, alice, bob)
    assert client.get(POSTS, headers=bob.headers).get_json()["count"] == 0
    assert client.get(f"{POSTS}?owner={alice.id}", headers=bob.headers).get_json()["count"] == 0


def test_myposts_lists_the_callers_posts_including_inactive(client, alice, bob, make_post):
    first = make_post(alice, "first")
    hidden = make_post(alice, "moderated", is_active=False)
    make_post(bob, "not mine")
    response = client.get(MYPOSTS, headers=alice.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert ids(response) == [hidden, first]
    assert (
        client.get(f"{MYPOSTS}?page_size=1", headers=alice.headers)
        .get_json()["next"]
        .endswith("page_size=1&page=2")
    )


def test_counts_and_is_liked_are_per_post_and_per_caller(client, alice, bob, carol, make_post):
    liked = make_post(
        alice, "popular", images=2, likers=[bob, carol], commenters=[bob, bob, carol], viewers=[bob]
    )
    quiet = make_post(alice, "quiet", likers=[carol])
    for account, expected in (
        (bob, {liked: True, quiet: False}),
        (carol, {liked: True, quiet: True}),
        (alice, {liked: False, quiet: False}),
    ):
        results = client.get(POSTS, headers=account.headers).get_json()["results"]
        by_id = {post["id"]: post for post in results}
        assert {pid: by_id[pid]["is_liked"] for pid in expected} == expected
        assert (
            by_id[liked]["like_count"],
            by_id[liked]["comment_count"],
            by_id[liked]["view_count"],
        ) == (2, 3, 1)
        assert (
            by_id[quiet]["like_count"],
            by_id[quiet]["comment_count"],
            by_id[quiet]["view_count"],
        ) == (1, 0, 0)
        assert len(by_id[liked]["images"]) == 2


def test_a_feed_page_costs_the_same_statements_at_any_size(
    client, alice, bob, carol, make_post, statements
):
    for n in range(55):
        make_post(
            bob if n % 2 else carol,
            f"Post {n}",
            images=2,
            likers=[alice, bob],
            commenters=[carol],
            viewers=[alice],
        )

    costs = {}
    client.get(POSTS, headers=alice.headers)  # the token's user state is cached from now on
    for size in (1, 50):
        with statements() as executed:
            response = client.get(f"{POSTS}?page_size={size}", headers=alice.headers)
        assert response.status_code == 200
        results = response.get_json()["results"]
        assert len(results) == size
        assert all(
            post["is_liked"] and post["like_count"] == 2 and len(post["images"]) == 2
            for post in results
        )
        costs[size] = len(executed)
    assert costs[1] == costs[50], costs
    # The page with its total and images (the token's user state is cached).
    assert costs[50] == 1, costs


def test_myposts_costs_the_same_statements_at_any_size(client, alice, bob, make_post, statements):
    for n in range(55):
        make_post(alice, f"Post {n}", images=1, likers=[bob], commenters=[bob], viewers=[bob])
    costs = {}
    client.get(MYPOSTS, headers=alice.headers)  # the token's user state is cached from now on
    for size in (1, 50):
        with statements() as executed:
            response = client.get(f"{MYPOSTS}?page_size={size}", headers=alice.headers)
        assert len(response.get_json()["results"]) == size
        costs[size] = len(executed)
    assert costs[1] == costs[50], costs
