"""Story media (Stories 2, 6, 9), on the local disk and on S3 (moto's server): recognised by
content, stored without metadata, served, refused without leaving a file, and removed with
its story only once the deletion has committed."""

import io

import pytest
from sqlalchemy import func, select

from tests.support.answers import field_errors
from tests.support.images import jpeg_with_exif
from tests.support.media import fetch_media, is_stored, stored_bytes, stored_names
from tests.support.stories import (
    ACTIVE,
    ARCHIVE,
    MOV,
    MP4,
    REACTION,
    VIEWED,
    WEBM,
    create_story,
    new_story,
)
from uzbekhub.extensions import db
from uzbekhub.stories.models import Story, StoryMark, StoryReaction, StoryView

pytestmark = pytest.mark.usefixtures("each_storage")


def stories_stored(app) -> set[str]:
    return stored_names(app, "stories")


def count_stories(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Story))


def test_an_image_is_stored_and_served_with_its_type(app, client, alice):
    story = new_story(client, alice)
    assert story["media"].startswith("http://localhost/media/stories/")
    assert is_stored(app, story["media"])
    status, _, headers = fetch_media(client, story["media"])
    assert status == 200 and headers["content-type"] == "image/png"


def test_image_metadata_is_stripped(app, client, alice):
    assert b"SpyCam" in jpeg_with_exif()
    story = new_story(client, alice, media=jpeg_with_exif(), name="photo.jpg")
    assert b"SpyCam" not in stored_bytes(app, story["media"])
    assert b"SpyCam" not in fetch_media(client, story["media"])[1]


@pytest.mark.parametrize(
    "data, ext", [(MP4, "mp4"), (WEBM, "webm"), (MOV, "mov")], ids=["mp4", "webm", "mov"]
)
def test_videos_are_recognised_by_content_not_by_name(app, client, alice, data, ext):
    response = client.post(
        ACTIVE,
        data={"media": (io.BytesIO(data), "notes.txt", "text/plain")},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    url = response.get_json()["media"]
    assert url.endswith(f".{ext}")
    assert stored_bytes(app, url) == data
    status, served, headers = fetch_media(client, url)
    assert (status, served) == (200, data)
    assert headers["content-type"].startswith("video/")


@pytest.mark.parametrize(
    "data",
    [b"just some text, not a picture\n" * 20, b"\xff\xd8\xff\xe0 truncated jpeg", b"%PDF-1.4\n"],
    ids=["text", "broken-jpeg", "pdf"],
)
def test_a_file_that_is_neither_image_nor_video_is_400_on_media(app, client, alice, data):
    before = stories_stored(app)
    response = client.post(
        ACTIVE,
        data={"media": (io.BytesIO(data), "photo.jpg", "image/jpeg")},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "media" in field_errors(response)
    assert count_stories(app) == 0
    assert stories_stored(app) == before


def test_an_empty_file_is_400_and_stores_nothing(app, client, alice):
    before = stories_stored(app)
    response = create_story(client, alice, media=b"")
    assert "media" in field_errors(response)
    assert stories_stored(app) == before


def test_media_over_the_upload_limit_is_413_and_stores_nothing(app, client, alice, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 0.001)  # about 1 KB
    before = stories_stored(app)
    response = create_story(client, alice, media=MP4 + b"\x00" * 4096)
    assert response.status_code == 413
    assert set(response.get_json()) == {"error"}
    assert stories_stored(app) == before


def test_a_crash_after_storing_the_media_leaves_no_file_and_no_story(
    app, client, alice, monkeypatch
):
    def broken_commit():
        raise RuntimeError("database went away mid-request")

    before = stories_stored(app)
    monkeypatch.setattr(db.session, "commit", broken_commit)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = create_story(client, alice)
    monkeypatch.undo()
    assert response.status_code == 500
    assert stories_stored(app) == before
    assert count_stories(app) == 0


def test_the_owner_deletes_a_story_with_its_file_marks_views_and_reactions(app, client, alice, bob):
    story = new_story(client, alice, marked=[str(bob.id)])
    client.post(VIEWED, json={"story": story["id"]}, headers=bob.headers)
    client.post(REACTION, json={"story": story["id"], "reaction": "👍"}, headers=bob.headers)

    response = client.delete(f"{ACTIVE}{story['id']}/", headers=alice.headers)
    assert response.status_code == 204
    assert response.data == b""
    assert client.get(f"{ACTIVE}{story['id']}/", headers=alice.headers).status_code == 404
    assert not is_stored(app, story["media"])
    assert client.get(story["media"]).status_code == 404
    with app.app_context():
        for model in (Story, StoryMark, StoryView, StoryReaction):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_the_owner_deletes_an_archived_story_for_good(app, client, alice, story_ttl):
    story = new_story(client, alice)
    story_ttl(0)
    response = client.delete(f"{ARCHIVE}{story['id']}/", headers=alice.headers)
    assert response.status_code == 204
    assert client.get(f"{ARCHIVE}{story['id']}/", headers=alice.headers).status_code == 404
    assert client.get(ARCHIVE, headers=alice.headers).get_json() == []
    assert not is_stored(app, story["media"])


def test_a_failed_delete_keeps_the_media(app, client, alice, monkeypatch):
    story = new_story(client, alice)

    def broken_commit():
        raise RuntimeError("database went away mid-request")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.delete(f"{ACTIVE}{story['id']}/", headers=alice.headers)
    monkeypatch.undo()
    assert response.status_code == 500
    assert is_stored(app, story["media"])
    assert fetch_media(client, story["media"])[0] == 200
    assert count_stories(app) == 1
