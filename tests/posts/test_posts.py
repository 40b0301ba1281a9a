"""Posts 2-5: create, detail, update and delete a post, with its images."""

import io
import uuid

import pytest
from PIL import Image
from sqlalchemy import select, update

from tests.support.answers import field_errors
from tests.support.factories import add_contact, block
from tests.support.images import png
from tests.support.posts import (
    LIKE,
    MYPOSTS,
    POSTS,
    count_rows,
    create_post,
    image_part,
    moment,
    path_of,
    post_url,
    stored_images,
)
from uzbekhub.accounts.models import User
from uzbekhub.extensions import db
from uzbekhub.posts.models import Post, PostComment, PostImage, PostLike, PostView

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


def test_create_stores_images_and_answers_absolute_urls(app, client, alice):
    response = create_post(client, alice, "Two pictures", images=2)
    assert response.status_code == 201
    images = response.get_json()["images"]
    assert len(images) == 2
    for image in images:
        assert list(image) == ["id", "image", "created_at"]
        assert image["image"].startswith("http://localhost/media/posts/images/")
        assert path_of(app, image["image"]).is_file()
        served = client.get(image["image"].removeprefix("http://localhost"))
        assert served.status_code == 200 and served.mimetype == "image/png"


def test_images_keep_their_upload_order(client, alice):
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    data = {"images": [image_part(png(color)) for color in colors]}
    response = client.post(
        POSTS, data=data, headers=alice.headers, content_type="multipart/form-data"
    )
    assert response.status_code == 201
    seen = []
    for image in response.get_json()["images"]:
        body = client.get(image["image"].removeprefix("http://localhost")).data
        seen.append(Image.open(io.BytesIO(body)).convert("RGB").getpixel((0, 0)))
    assert seen == colors


def test_stored_images_lose_their_exif(app, client, alice):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (41.0, 18.0, 0.0)}  # GPS
    raw = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(raw, format="JPEG", exif=exif)
    assert Image.open(io.BytesIO(raw.getvalue())).getexif()
    data = {"images": [image_part(raw.getvalue(), "photo.jpg")]}
    response = client.post(
        POSTS, data=data, headers=alice.headers, content_type="multipart/form-data"
    )
    assert response.status_code == 201
    stored = path_of(app, response.get_json()["images"][0]["image"])
    assert not Image.open(stored).getexif()
    assert b"SecretCam" not in stored.read_bytes()


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


def test_ten_images_are_accepted(client, alice):
    response = create_post(client, alice, images=10)
    assert response.status_code == 201
    assert len(response.get_json()["images"]) == 10


def test_an_eleventh_image_is_400_and_stores_nothing(app, client, alice):
    before = stored_images(app)
    response = create_post(client, alice, images=11)
    assert response.status_code == 400
    assert "images" in field_errors(response)
    assert stored_images(app) == before
    assert count_rows(app, Post) == 0


def test_a_non_image_file_is_400_and_leaves_no_file_and_no_post(app, client, alice):
    before = stored_images(app)
    data = {
        "content": "Good, good, bad",
        "images": [image_part(), image_part(), image_part(b"%PDF-1.4 not an image", "doc.png")],
    }
    response = client.post(
        POSTS, data=data, headers=alice.headers, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "images" in field_errors(response)
    assert stored_images(app) == before
    assert count_rows(app, Post) == 0
    assert count_rows(app, PostImage) == 0


def test_an_image_over_the_upload_limit_is_413_and_stores_nothing(app, client, alice):
    big = png(size=(64, 64)) + b"\0" * 4096  # trailing bytes count towards the size
    before = stored_images(app)
    limit = app.config["MAX_UPLOAD_MB"]
    app.config["MAX_UPLOAD_MB"] = 4096 / (1024 * 1024)
    try:
        data = {"content": "Too big", "images": [image_part(), image_part(big)]}
        response = client.post(
            POSTS, data=data, headers=alice.headers, content_type="multipart/form-data"
        )
    finally:
        app.config["MAX_UPLOAD_MB"] = limit
    assert response.status_code == 413
    assert set(response.get_json()) == {"error"}
    assert stored_images(app) == before
    assert count_rows(app, Post) == 0


def test_a_decompression_bomb_is_400(app, client, alice):
    bomb = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(bomb, format="PNG")
    before = stored_images(app)
    response = client.post(
        POSTS,
        data={"images": [image_part(bomb.getvalue(), "bomb.png")]},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "images" in field_errors(response)
    assert stored_images(app) == before


def test_a_text_part_named_images_is_400(client, alice):
    response = client.post(
        POSTS,
        data={"content": "x", "images": "not a file"},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "images" in field_errors(response)


def test_a_crash_after_storing_images_leaves_no_file_and_no_post(app, client, alice, monkeypatch):
    def broken_commit():
        raise RuntimeError("database went away mid-request")

    before = stored_images(app)
    monkeypatch.setattr(db.session, "commit", broken_commit)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = create_post(client, alice, "Doomed", images=2)
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
        monkeypatch.undo()
    assert response.status_code == 500
    assert response.get_json() == {
        "error": "Internal server error occurred",
        "request_id": response.headers["X-Request-ID"],
    }
    assert stored_images(app) == before
    assert count_rows(app, Post) == 0
    assert count_rows(app, PostImage) == 0


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


def test_patch_adds_images_after_the_existing_ones(client, alice):
    created = create_post(client, alice, "One", images=1).get_json()
    response = client.patch(
        post_url(created["id"]),
        data={"images": [image_part(), image_part()]},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    images = response.get_json()["images"]
    assert len(images) == 3
    assert images[0] == created["images"][0]
    assert response.get_json()["content"] == "One"


def test_patch_removes_images_and_their_files(app, client, alice):
    created = create_post(client, alice, "Two", images=2).get_json()
    gone, kept = created["images"]
    response = client.patch(
        post_url(created["id"]), json={"remove_images": [gone["id"]]}, headers=alice.headers
    )
    assert response.status_code == 200
    assert response.get_json()["images"] == [kept]
    assert not path_of(app, gone["image"]).exists()
    assert path_of(app, kept["image"]).exists()


def test_patch_beyond_ten_images_is_400_and_changes_nothing(app, client, alice):
    created = create_post(client, alice, "Eight", images=8).get_json()
    before = stored_images(app)
    response = client.patch(
        post_url(created["id"]),
        data={"content": "Eleven?", "images": [image_part() for _ in range(3)]},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "images" in field_errors(response)
    assert stored_images(app) == before
    after = client.get(post_url(created["id"]), headers=alice.headers).get_json()
    assert after == created


def test_patch_with_a_non_image_keeps_the_old_images_and_stores_nothing(app, client, alice):
    created = create_post(client, alice, "Keep me", images=1).get_json()
    before = stored_images(app)
    response = client.patch(
        post_url(created["id"]),
        data={
            "remove_images": created["images"][0]["id"],
            "images": [image_part(), image_part(b"GIF89a broken", "x.gif")],
        },
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "images" in field_errors(response)
    assert stored_images(app) == before
    assert client.get(post_url(created["id"]), headers=alice.headers).get_json() == created


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


def test_owner_deletes_a_post_with_everything_on_it(app, client, alice, bob):
    created = create_post(client, alice, "Short-lived", images=2).get_json()
    post_id = created["id"]
    assert client.post(LIKE, json={"post": post_id}, headers=bob.headers).status_code == 201
    comment = client.post(
        "/api/posts/comment/", json={"post": post_id, "comment": "First"}, headers=bob.headers
    ).get_json()
    reply = {"post": post_id, "comment": "Reply", "reply_to": comment["id"]}
    assert client.post("/api/posts/comment/", json=reply, headers=alice.headers).status_code == 201
    assert (
        client.post("/api/posts/views/", json={"post": post_id}, headers=bob.headers).status_code
        == 201
    )

    response = client.delete(post_url(post_id), headers=alice.headers)
    assert response.status_code == 204
    assert response.data == b""
    assert client.get(post_url(post_id), headers=alice.headers).status_code == 404
    for image in created["images"]:
        assert not path_of(app, image["image"]).exists()
    for model in (Post, PostImage, PostLike, PostComment, PostView):
        assert count_rows(app, model) == 0, model


def test_another_user_may_not_delete_a_post(app, client, alice, bob):
    created = create_post(client, alice, "Mine", images=1).get_json()
    response = client.delete(post_url(created["id"]), headers=bob.headers)
    assert response.status_code == 403
    assert path_of(app, created["images"][0]["image"]).exists()
    assert client.get(post_url(created["id"]), headers=alice.headers).status_code == 200


def test_a_blocked_user_deleting_a_post_gets_404(app, client, alice, bob, make_post):
    post_id = make_post(alice)
    block(app, bob, alice)
    assert client.delete(post_url(post_id), headers=bob.headers).status_code == 404
    assert count_rows(app, Post) == 1


def test_staff_delete_any_post_even_one_they_cannot_see(app, client, staff, make_account):
    private = make_account("private@example.com", is_private=True)
    created = create_post(client, private, "Against the rules", images=1).get_json()
    assert client.get(post_url(created["id"]), headers=staff.headers).status_code == 404
    assert client.delete(post_url(created["id"]), headers=staff.headers).status_code == 204
    assert not path_of(app, created["images"][0]["image"]).exists()
    assert count_rows(app, Post) == 0


def test_a_failed_delete_keeps_the_images(app, client, alice, monkeypatch):
    created = create_post(client, alice, "Survivor", images=1).get_json()

    def broken_commit():
        raise RuntimeError("database went away mid-request")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.delete(post_url(created["id"]), headers=alice.headers)
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
        monkeypatch.undo()
    assert response.status_code == 500
    assert path_of(app, created["images"][0]["image"]).exists()
    with app.app_context():
        assert db.session.scalar(select(Post.id)) is not None


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
