"""Posts 2-5: create, detail, update and delete a post, with its images."""

import uuid

import pytest
from sqlalchemy import update

from tests.support.answers import field_errors
from tests.support.factories import add_contact, block
from tests.support.posts import (
    LIKE,
    MYPOSTS,
    POSTS,
    count_rows,
    create_post,
    moment,
    post_url,
)
from uzbekhub.accounts.models import User
from uzbekhub.extensions import db
from uzbekhub.posts.models import Post

POST_KEYS = [
    "id",
    "content",
    "owner",
    "images",
    "is_active",
    "is_edited",
    "like_count",
    "comment_count",
    "view_count",
    "is_liked",
    "created_at",
    "updated_at",
]


def patch(client, account, post_id, **data):
    return client.patch(
        post_url(post_id), data=data, headers=account.headers, content_type="multipart/form-data"
    )


# --- create ------------------------------------------------------------------------------------


def test_create_answers_the_spec_shape(client, alice):
    response = create_post(client, alice, "This is my new post!")
    assert response.status_code == 201
    post = response.get_json()
    assert list(post) == POST_KEYS
    uuid.UUID(post["id"])
    assert post["content"] == "This is my new post!"
    assert post["owner"] == {
        "id": alice.id,
        "username": alice.username,
        "full_name": "Alice Karimova",
        "profile_picture": None,
    }
    assert post["images"] == []
    assert post["is_active"] is True and post["is_edited"] is False
    assert (post["like_count"], post["comment_count"], post["view_count"]) == (0, 0, 0)
    assert post["is_liked"] is False
    assert post["created_at"].endswith("Z")
    assert post["updated_at"] is None


def test_images_without_content_make_a_post(client, alice):
    response = create_post(client, alice, content=None, images=1)
    assert response.status_code == 201
    assert response.get_json()["content"] == ""


def test_a_json_body_makes_a_text_post(client, alice):
    response = client.post(POSTS, json={"content": "Plain JSON"}, headers=alice.headers)
    assert response.status_code == 201
    assert response.get_json()["content"] == "Plain JSON"


@pytest.mark.parametrize("content", [None, "", "   \n "])
def test_empty_content_without_images_is_400(app, client, alice, content):
    response = create_post(client, alice, content=content)
    assert response.status_code == 400
    assert "content" in field_errors(response)
    assert count_rows(app, Post) == 0


def test_content_up_to_the_limit_is_accepted(client, alice):
    response = create_post(client, alice, "x" * 10_000)
    assert response.status_code == 201
    assert len(response.get_json()["content"]) == 10_000


@pytest.mark.parametrize("length", [10_001, 100 * 1024])
def test_content_beyond_the_limit_is_400(app, client, alice, length):
    response = create_post(client, alice, "x" * length)
    assert response.status_code == 400
    assert "content" in field_errors(response)
    assert count_rows(app, Post) == 0


def test_a_text_part_named_images_is_400(client, alice):
    response = client.post(
        POSTS,
        data={"content": "x", "images": "not a file"},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "images" in field_errors(response)


def test_unknown_fields_are_400(client, alice):
    response = client.post(POSTS, json={"content": "x", "owner": 99}, headers=alice.headers)
    assert response.status_code == 400
    assert "owner" in field_errors(response)


# --- detail, from every side -------------------------------------------------------------------


def test_owner_and_other_users_see_a_post(client, alice, bob, make_post):
    post_id = make_post(alice, "Hello world")
    for account in (alice, bob):
        response = client.get(post_url(post_id), headers=account.headers)
        assert response.status_code == 200
        assert response.get_json()["content"] == "Hello world"


@pytest.mark.parametrize("blocker", ["owner", "viewer"])
def test_blocks_hide_a_post_both_ways(app, client, alice, bob, make_post, blocker):
    post_id = make_post(alice)
    if blocker == "owner":
        block(app, alice, bob)
    else:
        block(app, bob, alice)
    response = client.get(post_url(post_id), headers=bob.headers)
    assert response.status_code == 404
    assert response.get_json() == {"error": "Resource not found"}
    assert client.get(post_url(post_id), headers=alice.headers).status_code == 200


def test_private_owner_shows_posts_only_to_users_they_added(
    app, client, alice, bob, carol, make_account, make_post
):
    dana = make_account("dana@example.com", is_private=True)
    post_id = make_post(dana)
    add_contact(app, dana, bob)
    add_contact(app, carol, dana)  # Carol adding Dana does not let Carol see Dana's posts.
    assert client.get(post_url(post_id), headers=bob.headers).status_code == 200
    assert client.get(post_url(post_id), headers=carol.headers).status_code == 404
    assert client.get(post_url(post_id), headers=alice.headers).status_code == 404
    assert client.get(post_url(post_id), headers=dana.headers).status_code == 200


def test_an_inactive_post_is_seen_by_its_owner_only(client, alice, bob, make_post):
    post_id = make_post(alice, is_active=False)
    assert client.get(post_url(post_id), headers=bob.headers).status_code == 404
    own = client.get(post_url(post_id), headers=alice.headers)
    assert own.status_code == 200 and own.get_json()["is_active"] is False


def test_posts_of_a_deactivated_user_are_hidden(app, client, alice, bob, make_post):
    post_id = make_post(alice)
    with app.app_context():
        db.session.execute(update(User).where(User.id == alice.id).values(is_active=False))
        db.session.commit()
    assert client.get(post_url(post_id), headers=bob.headers).status_code == 404


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("post_id", ["not-a-uuid", "123", str(uuid.uuid4())])
def test_bad_or_unknown_post_ids_are_404(client, alice, method, post_id):
    response = getattr(client, method)(
        f"{POSTS}{post_id}/", json={"content": "x"}, headers=alice.headers
    )
    assert response.status_code == 404
    assert response.get_json() == {"error": "Resource not found"}


# --- update ------------------------------------------------------------------------------------


def test_owner_edits_content_and_the_post_says_so(client, alice, make_post):
    post_id = make_post(alice, "Before")
    before = client.get(post_url(post_id), headers=alice.headers).get_json()
    assert before["is_edited"] is False and before["updated_at"] is None
    response = patch(client, alice, post_id, content="Updated post content")
    assert response.status_code == 200
    post = response.get_json()
    assert post["content"] == "Updated post content"
    assert post["is_edited"] is True
    assert post["updated_at"].endswith("Z")
    assert moment(post["updated_at"]) > moment(post["created_at"])


def test_patch_accepts_json(client, alice, make_post):
    post_id = make_post(alice, "Before")
    response = client.patch(post_url(post_id), json={"content": "After"}, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["content"] == "After"


def test_removing_an_unknown_image_is_400_on_remove_images(client, alice, bob):
    mine = create_post(client, alice, "Mine", images=1).get_json()
    theirs = create_post(client, bob, "Theirs", images=1).get_json()
    for image_id in (str(uuid.uuid4()), theirs["images"][0]["id"]):
        response = client.patch(
            post_url(mine["id"]), json={"remove_images": [image_id]}, headers=alice.headers
        )
        assert response.status_code == 400
        assert "remove_images" in field_errors(response)


def test_removing_everything_is_400_on_content(client, alice):
    created = create_post(client, alice, content=None, images=1).get_json()
    response = client.patch(
        post_url(created["id"]),
        json={"remove_images": [created["images"][0]["id"]]},
        headers=alice.headers,
    )
    assert response.status_code == 400
    assert "content" in field_errors(response)


def test_emptying_the_content_of_a_post_with_images_is_allowed(client, alice):
    created = create_post(client, alice, "Caption", images=1).get_json()
    response = client.patch(post_url(created["id"]), json={"content": ""}, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["content"] == ""


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "non_field_errors"),
        ({"content": "x" * (100 * 1024)}, "content"),
        ({"content": "  "}, "content"),
        ({"remove_images": ["nope"]}, "remove_images"),
        ({"is_active": False}, "is_active"),
    ],
)
def test_bad_patch_bodies_are_400(client, alice, make_post, body, field):
    post_id = make_post(alice, "Stays")
    response = client.patch(post_url(post_id), json=body, headers=alice.headers)
    assert response.status_code == 400
    assert field in field_errors(response)
    assert client.get(post_url(post_id), headers=alice.headers).get_json()["content"] == "Stays"


def test_another_user_may_not_edit_a_post_they_see(client, alice, bob, staff, make_post):
    post_id = make_post(alice, "Mine")
    for account in (bob, staff):
        response = client.patch(
            post_url(post_id), json={"content": "Hacked"}, headers=account.headers
        )
        assert response.status_code == 403
        assert set(response.get_json()) == {"detail"}
    assert client.get(post_url(post_id), headers=alice.headers).get_json()["content"] == "Mine"


def test_a_blocked_user_editing_a_post_gets_404(app, client, alice, bob, make_post):
    post_id = make_post(alice, "Mine")
    block(app, alice, bob)
    response = client.patch(post_url(post_id), json={"content": "Hacked"}, headers=bob.headers)
    assert response.status_code == 404


# --- delete ------------------------------------------------------------------------------------


def test_a_blocked_user_deleting_a_post_gets_404(app, client, alice, bob, make_post):
    post_id = make_post(alice)
    block(app, bob, alice)
    assert client.delete(post_url(post_id), headers=bob.headers).status_code == 404
    assert count_rows(app, Post) == 1


# --- anonymous callers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", POSTS),
        ("post", POSTS),
        ("get", MYPOSTS),
        ("get", "/api/posts/post/{id}/"),
        ("patch", "/api/posts/post/{id}/"),
        ("delete", "/api/posts/post/{id}/"),
        ("post", LIKE),
        ("delete", "/api/posts/like/{id}/"),
        ("get", "/api/posts/{id}/likes/"),
        ("post", "/api/posts/comment/"),
        ("patch", "/api/posts/comment/{id}/"),
        ("delete", "/api/posts/comment/{id}/"),
        ("get", "/api/posts/{id}/comments/"),
        ("post", "/api/posts/views/"),
        ("get", "/api/posts/{id}/views/"),
    ],
)
def test_anonymous_callers_get_401(client, alice, make_post, method, path):
    post_id = make_post(alice)
    response = getattr(client, method)(path.format(id=post_id), json={"post": post_id})
    assert response.status_code == 401
    assert set(response.get_json()) == {"detail"}
