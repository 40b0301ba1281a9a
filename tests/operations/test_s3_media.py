"""Media on S3-compatible storage (MEDIA_STORAGE=s3), against moto's standalone server: the
same rules as on disk (content checks, EXIF stripped, sha256 dedup, nothing left by a failed
request, deletion after commit), the same URLs, answered with a redirect to a presigned URL
after the same permission checks."""

import hashlib
import io
import urllib.request

from PIL import Image

from config import load_config
from tests.accounts.helpers import PROFILE
from tests.support.chat import create_private, send, upload
from tests.support.images import jpeg_with_exif, png
from tests.support.posts import create_post, post_url
from tests.support.stories import new_story

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


def test_a_picture_is_stored_in_the_bucket_without_exif_and_served_by_redirect(
    client, alice, moto, s3_media
):
    response = set_picture(client, alice, jpeg_with_exif())
    assert response.status_code == 200
    url = response.get_json()["profile_picture"]
    assert url.startswith(f"{HOST}/media/profile_pictures/") and url.endswith(".jpg")
    assert moto.keys(s3_media) == {key_of(url)}

    body, headers = follow(client.get(local(url)))
    assert headers["content-type"] == "image/jpeg"
    assert "exif" not in Image.open(io.BytesIO(body)).info
    assert b"SpyCam" not in body


def test_a_replaced_picture_leaves_the_bucket_after_the_commit(client, alice, moto, s3_media):
    first = key_of(set_picture(client, alice, png((1, 2, 3))).get_json()["profile_picture"])
    second = key_of(set_picture(client, alice, png((4, 5, 6))).get_json()["profile_picture"])
    assert moto.keys(s3_media) == {second} and first != second
    assert client.get(f"/media/{first}").status_code == 404


def test_a_refused_request_leaves_nothing_in_the_bucket(client, alice, moto, s3_media):
    # Three good images and one that is not an image: the post is refused as a whole.
    response = client.post(
        "/api/posts/post/",
        data={
            "content": "x",
            "images": [(io.BytesIO(png()), f"{n}.png") for n in range(3)]
            + [(io.BytesIO(b"not an image"), "x.png")],
        },
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert moto.keys(s3_media) == set()


def test_post_images_go_with_their_post(client, alice, moto, s3_media):
    post = create_post(client, alice, images=2).get_json()
    assert len(moto.keys(s3_media)) == 2
    assert client.delete(post_url(post["id"]), headers=alice.headers).status_code == 204
    assert moto.keys(s3_media) == set()


def test_story_media_is_stored_and_served(client, alice, moto, s3_media):
    story = new_story(client, alice)
    assert moto.keys(s3_media) == {key_of(story["media"])}
    body, headers = follow(client.get(local(story["media"])))
    assert headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(body)).format == "PNG"


def test_chat_files_are_stored_once_and_fetched_only_with_a_token_by_whom_may(
    app, client, alice, bob, make_account, moto, s3_media
):
    data = b"%PDF-1.4 shared notes"
    mine = upload(client, alice, data, name="notes.pdf").get_json()
    theirs = upload(client, bob, data, name="copy.pdf").get_json()
    digest = hashlib.sha256(data).hexdigest()
    assert mine["file"] == theirs["file"]
    assert moto.keys(s3_media) == {f"chat_files/{digest}.pdf"}

    path = local(mine["file"])
    assert client.get(path).status_code == 401
    eve = make_account("eve@example.com")
    assert client.get(path, headers=eve.headers).status_code == 404
    body, headers = follow(client.get(f"{path}?token={alice.access}"))
    assert body == data
    assert headers["cache-control"] == "private, max-age=31536000, immutable"
    assert headers["content-disposition"] == "attachment"

    # Sent in a room, the file reaches its members; its bytes go with the last record.
    room = create_private(client, alice, bob)
    send(app, alice, room, "see", files=[mine["id"]])
    assert client.get(path, headers=bob.headers).status_code == 302
    assert client.delete(f"/api/chat/files/{mine['id']}/", headers=alice.headers).status_code == 204
    assert moto.keys(s3_media) == {f"chat_files/{digest}.pdf"}
    assert client.delete(f"/api/chat/files/{theirs['id']}/", headers=bob.headers).status_code == 204
    assert moto.keys(s3_media) == set()


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
