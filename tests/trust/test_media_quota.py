"""One media quota per user across posts, stories and chat (MEDIA_QUOTA_MB): an account
cannot fill the disk by spreading uploads over the three."""

import io
import os

import pytest

from tests.support.animated import sparse_gif
from tests.support.stories import MP4
from tests.trust.test_upload_abuse import CHAT_FILES, files_under

MIB = 1024 * 1024
STORIES = "/api/stories/active/"
POSTS = "/api/posts/post/"


@pytest.fixture
def quota(app):
    """MEDIA_QUOTA_MB of 1 and MAX_UPLOAD_MB of 0.45 for one test."""
    saved = app.config["MEDIA_QUOTA_MB"], app.config["MAX_UPLOAD_MB"]
    app.config["MEDIA_QUOTA_MB"], app.config["MAX_UPLOAD_MB"] = 1, 0.45
    yield MIB
    app.config["MEDIA_QUOTA_MB"], app.config["MAX_UPLOAD_MB"] = saved


def video(size: int) -> bytes:
    """Story "video" bytes of `size` that no two calls share (random past the header)."""
    return MP4 + os.urandom(size - len(MP4))


def story(client, account, data: bytes):
    return client.post(
        STORIES,
        data={"media": (io.BytesIO(data), "clip.mp4")},
        headers=account.headers,
        content_type="multipart/form-data",
    )


def chat_file(client, account, data: bytes):
    return client.post(
        CHAT_FILES,
        data={"file": (io.BytesIO(data), "notes.bin"), "file_type": "document"},
        headers=account.headers,
        content_type="multipart/form-data",
    )


def post_image(client, account, data: bytes):
    return client.post(
        POSTS,
        data={"content": "Look", "images": (io.BytesIO(data), "a.gif")},
        headers=account.headers,
        content_type="multipart/form-data",
    )


def test_story_videos_stop_at_the_quota(client, alice, quota):
    answers = [story(client, alice, video(400 * 1024)).status_code for _ in range(4)]
    assert answers == [201, 201, 413, 413]


def test_the_quota_is_one_across_stories_chat_and_posts(app, client, alice, quota):
    assert story(client, alice, video(400 * 1024)).status_code == 201
    assert chat_file(client, alice, os.urandom(400 * 1024)).status_code == 201
    over = chat_file(client, alice, os.urandom(300 * 1024))
    assert over.status_code == 413
    assert "quota" in over.get_json()["error"]
    assert story(client, alice, video(300 * 1024)).status_code == 413
    # A post image is counted at its stored (re-encoded) size; a small one still fits.
    assert post_image(client, alice, sparse_gif(2, 8, 8)).status_code == 201


def test_a_refused_upload_leaves_nothing_on_disk(app, client, alice, quota):
    from pathlib import Path

    root = Path(app.config["MEDIA_ROOT"])
    story(client, alice, video(400 * 1024))
    story(client, alice, video(400 * 1024))
    before = files_under(root)
    assert story(client, alice, video(400 * 1024)).status_code == 413
    assert files_under(root) == before


def test_each_user_has_their_own_quota(client, alice, bob, quota):
    for _ in range(2):
        assert story(client, alice, video(400 * 1024)).status_code == 201
    assert story(client, bob, video(400 * 1024)).status_code == 201


def test_deleting_a_story_frees_its_room(client, alice, quota):
    first = story(client, alice, video(400 * 1024)).get_json()["id"]
    story(client, alice, video(400 * 1024))
    assert story(client, alice, video(400 * 1024)).status_code == 413
    assert client.delete(f"{STORIES}{first}/", headers=alice.headers).status_code == 204
    assert story(client, alice, video(400 * 1024)).status_code == 201


def test_the_quota_is_documented_in_megabytes_by_its_setting(app):
    assert app.config["MEDIA_QUOTA_MB"] == 200
