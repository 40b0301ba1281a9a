"""Post images (Posts 2-5), on the local disk and on S3 (moto's server): stored without
metadata, served, refused whole, and removed with their post only once it has committed."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from tests.support.answers import field_errors
from tests.support.images import png
from tests.support.media import fetch_media, is_stored, stored_bytes
from tests.support.posts import (
    COMMENT,
    LIKE,
    POSTS,
    VIEWS,
    count_rows,
    create_post,
    image_part,
    post_url,
    stored_images,
)
from uzbekhub.extensions import db
from uzbekhub.posts.models import Post, PostComment, PostImage, PostLike, PostView

pytestmark = pytest.mark.usefixtures("each_storage")


def test_create_stores_images_and_answers_absolute_urls(app, client, alice):
    response = create_post(client, alice, "Two pictures", images=2)
    assert response.status_code == 201
    images = response.get_json()["images"]
    assert len(images) == 2
    for image in images:
        assert list(image) == ["id", "image", "created_at"]
        assert image["image"].startswith("http://localhost/media/posts/images/")
        assert is_stored(app, image["image"])
        status, _, headers = fetch_media(client, image["image"])
        assert status == 200 and headers["content-type"] == "image/png"


def test_images_keep_their_upload_order(client, alice):
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    data = {"images": [image_part(png(color)) for color in colors]}
    response = client.post(
        POSTS, data=data, headers=alice.headers, content_type="multipart/form-data"
    )
    assert response.status_code == 201
    seen = []
    for image in response.get_json()["images"]:
        body = fetch_media(client, image["image"])[1]
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
    stored = stored_bytes(app, response.get_json()["images"][0]["image"])
    assert not Image.open(io.BytesIO(stored)).getexif()
    assert b"SecretCam" not in stored


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
    assert not is_stored(app, gone["image"])
    assert is_stored(app, kept["image"])


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


def test_owner_deletes_a_post_with_everything_on_it(app, client, alice, bob):
    created = create_post(client, alice, "Short-lived", images=2).get_json()
    post_id = created["id"]
    assert client.post(LIKE, json={"post": post_id}, headers=bob.headers).status_code == 201
    comment = client.post(
        COMMENT, json={"post": post_id, "comment": "First"}, headers=bob.headers
    ).get_json()
    reply = {"post": post_id, "comment": "Reply", "reply_to": comment["id"]}
    assert client.post(COMMENT, json=reply, headers=alice.headers).status_code == 201
    assert client.post(VIEWS, json={"post": post_id}, headers=bob.headers).status_code == 201

    response = client.delete(post_url(post_id), headers=alice.headers)
    assert response.status_code == 204
    assert response.data == b""
    assert client.get(post_url(post_id), headers=alice.headers).status_code == 404
    for image in created["images"]:
        assert not is_stored(app, image["image"])
    for model in (Post, PostImage, PostLike, PostComment, PostView):
        assert count_rows(app, model) == 0, model


def test_another_user_may_not_delete_a_post(app, client, alice, bob):
    created = create_post(client, alice, "Mine", images=1).get_json()
    response = client.delete(post_url(created["id"]), headers=bob.headers)
    assert response.status_code == 403
    assert is_stored(app, created["images"][0]["image"])
    assert client.get(post_url(created["id"]), headers=alice.headers).status_code == 200


def test_staff_delete_any_post_even_one_they_cannot_see(app, client, staff, make_account):
    private = make_account("private@example.com", is_private=True)
    created = create_post(client, private, "Against the rules", images=1).get_json()
    assert client.get(post_url(created["id"]), headers=staff.headers).status_code == 404
    assert client.delete(post_url(created["id"]), headers=staff.headers).status_code == 204
    assert not is_stored(app, created["images"][0]["image"])
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
    assert is_stored(app, created["images"][0]["image"])
    with app.app_context():
        assert db.session.scalar(select(Post.id)) is not None
