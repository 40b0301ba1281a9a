"""What only S3-compatible storage (MEDIA_STORAGE=s3) does, against moto's standalone server:
a fetch the rules allow is a redirect to a short-lived presigned URL; where public media may
be linked (a CDN); and a bucket out of reach: an upload or a fetch is 503 with nothing
written, a committed change that removes files stands. The media rules themselves run on both
storages in the media tests of each domain (the `each_storage` fixture)."""

import io
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
from PIL import Image
from sqlalchemy import func, select

from config import load_config
from tests.accounts.helpers import PROFILE
from tests.conftest import free_port
from tests.support.chat import ROOMS, room_url, upload
from tests.support.images import jpeg_with_exif, png
from tests.support.posts import create_post, post_url
from tests.support.stories import create_story
from uzbekhub.accounts.models import User
from uzbekhub.chat.models import ChatFile, Room, RoomMember
from uzbekhub.common.storage import EXTENSION_KEY as STORAGE_KEY
from uzbekhub.common.storage import S3Storage
from uzbekhub.extensions import db
from uzbekhub.posts.models import Post, PostImage
from uzbekhub.stories.models import Story

HOST = "http://localhost"


def local(url: str) -> str:
    return url.removeprefix(HOST)


def key_of(url: str) -> str:
    return url.split("/media/", 1)[1]


def follow(response) -> tuple[bytes, dict]:
    """The presigned URL a media answer redirects to, fetched from the bucket."""
    assert response.status_code == 302, response.get_data()
    assert response.headers["Cache-Control"] == "no-store"
    with urllib.request.urlopen(response.headers["Location"], timeout=10) as fetched:
        return fetched.read(), {name.lower(): value for name, value in fetched.headers.items()}


def set_picture(client, account, data: bytes):
    return client.patch(
        PROFILE,
        data={"profile_picture": (io.BytesIO(data), "me.jpg")},
        headers=account.headers,
        content_type="multipart/form-data",
    )


def test_a_fetch_is_a_redirect_to_a_short_lived_presigned_url_that_no_cache_keeps(
    client, alice, moto, s3_media
):
    response = set_picture(client, alice, jpeg_with_exif())
    assert response.status_code == 200
    url = response.get_json()["profile_picture"]
    assert moto.keys(s3_media) == {key_of(url)}

    answer = client.get(local(url))
    location = urllib.parse.urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == moto.url
    assert location.path == f"/{s3_media}/{key_of(url)}"
    assert urllib.parse.parse_qs(location.query)["X-Amz-Expires"] == ["300"]
    body, headers = follow(answer)
    assert headers["content-type"] == "image/jpeg"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "exif" not in Image.open(io.BytesIO(body)).info


def test_a_chat_file_redirect_needs_a_token_and_keeps_the_download_private(client, alice, s3_media):
    record = upload(client, alice, b"%PDF-1.4 shared notes", name="notes.pdf").get_json()
    path = local(record["file"])
    assert client.get(path).status_code == 401
    body, headers = follow(client.get(f"{path}?token={alice.access}"))
    assert body == b"%PDF-1.4 shared notes"
    assert headers["cache-control"] == "private, max-age=31536000, immutable"
    assert headers["content-disposition"] == "attachment"


def test_media_paths_that_name_nothing_are_404(client, s3_media):
    assert client.get("/media/profile_pictures/none.png").status_code == 404
    assert client.get("/media/profile_pictures/../chat_files/x.bin").status_code == 404


def test_public_media_may_come_from_a_cdn_chat_files_never(app, client, alice, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_URL", "https://cdn.example.com/uzbekhub/")
    picture = set_picture(client, alice, png()).get_json()["profile_picture"]
    assert picture.startswith("https://cdn.example.com/uzbekhub/profile_pictures/")
    record = upload(client, alice, b"%PDF-1.4 private", name="p.pdf").get_json()
    assert record["file"].startswith(f"{HOST}/media/chat_files/")
    # The app still answers at /media/ (the CDN's origin).
    path = picture.removeprefix("https://cdn.example.com/uzbekhub/")
    assert client.get(f"/media/{path}").status_code == 200


def test_media_url_is_a_path_prefix_or_a_cdn_url():
    assert load_config({"MEDIA_URL": "files"})["MEDIA_URL"] == "/files/"
    cdn = load_config({"MEDIA_URL": "https://cdn.example.com/m"})["MEDIA_URL"]
    assert cdn == "https://cdn.example.com/m/"


@contextmanager
def bucket_out_of_reach(app, bucket: str):
    """The same bucket behind an endpoint where nothing listens (S3 down, a network cut)."""
    saved = app.extensions[STORAGE_KEY]
    dead = f"http://127.0.0.1:{free_port()}"
    app.extensions[STORAGE_KEY] = S3Storage(bucket, dead, "us-east-1", 300)
    try:
        yield
    finally:
        app.extensions[STORAGE_KEY] = saved


def test_a_committed_deletion_stands_when_the_bucket_is_out_of_reach(
    app, client, alice, moto, s3_media, caplog
):
    """The rows are gone once the commit is done: a file the bucket could not remove then is
    an orphan for `flask purge`, not a failed request (nor one that stops at the first file)."""
    post = create_post(client, alice, images=2).get_json()
    record = upload(client, alice, b"%PDF-1.4 mine alone", name="m.pdf").get_json()
    with bucket_out_of_reach(app, s3_media):
        deleted_post = client.delete(post_url(post["id"]), headers=alice.headers)
        deleted_file = client.delete(f"/api/chat/files/{record['id']}/", headers=alice.headers)
    assert (deleted_post.status_code, deleted_file.status_code) == (204, 204)
    assert client.get(post_url(post["id"]), headers=alice.headers).status_code == 404
    assert client.get("/api/chat/files/", headers=alice.headers).get_json() == []
    left = {key_of(image["image"]) for image in post["images"]} | {key_of(record["file"])}
    assert moto.keys(s3_media) == left
    assert sum("flask purge" in r.getMessage() for r in caplog.records) == len(left)


OUT_OF_REACH = {"error": "The media storage is out of reach. Try again shortly."}


def rows(app, *models) -> list[int]:
    with app.app_context():
        return [db.session.scalar(select(func.count()).select_from(m)) for m in models]


def new_group(client, account, picture: bytes):
    return client.post(
        ROOMS,
        data={"room_type": "group", "name": "Pics", "profile_pic": (io.BytesIO(picture), "p.png")},
        headers=account.headers,
        content_type="multipart/form-data",
    )


UPLOADS = {
    "profile picture": (lambda client, alice: set_picture(client, alice, png()), (User,)),
    "post image": (lambda client, alice: create_post(client, alice, images=1), (Post, PostImage)),
    "story": (lambda client, alice: create_story(client, alice), (Story,)),
    "chat file": (
        lambda client, alice: upload(client, alice, b"%PDF-1.4 x", "document"),
        (ChatFile,),
    ),
    "room picture": (lambda client, alice: new_group(client, alice, png()), (Room, RoomMember)),
}


@pytest.mark.parametrize("kind", UPLOADS)
def test_an_upload_while_the_bucket_is_out_of_reach_is_503_with_nothing_written(
    app, client, alice, moto, s3_media, kind
):
    send, models = UPLOADS[kind]
    before = rows(app, *models)
    with bucket_out_of_reach(app, s3_media):
        response = send(client, alice)
    assert (response.status_code, response.get_json()) == (503, OUT_OF_REACH)
    assert rows(app, *models) == before
    assert moto.keys(s3_media) == set()
    profile = client.get(PROFILE, headers=alice.headers).get_json()
    assert profile["profile_picture"] is None
    # The bucket back, the same upload goes through.
    assert send(client, alice).status_code in (200, 201)


def test_a_replacement_while_the_bucket_is_out_of_reach_keeps_the_old_picture(
    app, client, alice, moto, s3_media
):
    room = new_group(client, alice, png()).get_json()
    mine = set_picture(client, alice, png()).get_json()["profile_picture"]
    with bucket_out_of_reach(app, s3_media):
        profile = set_picture(client, alice, png())
        group = client.patch(
            room_url(room["id"]),
            data={"profile_pic": (io.BytesIO(png()), "p.png")},
            headers=alice.headers,
            content_type="multipart/form-data",
        )
    assert [profile.status_code, group.status_code] == [503, 503]
    assert client.get(PROFILE, headers=alice.headers).get_json()["profile_picture"] == mine
    kept = client.get(room_url(room["id"]), headers=alice.headers).get_json()["profile_pic"]
    assert kept == room["profile_pic"]
    assert moto.keys(s3_media) == {key_of(mine), key_of(room["profile_pic"])}


def test_a_fetch_while_the_bucket_is_out_of_reach_is_503(app, client, alice, s3_media):
    url = set_picture(client, alice, png()).get_json()["profile_picture"]
    with bucket_out_of_reach(app, s3_media):
        response = client.get(local(url))
    assert (response.status_code, response.get_json()) == (503, OUT_OF_REACH)
