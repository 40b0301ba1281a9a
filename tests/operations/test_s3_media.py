"""What only S3-compatible storage (MEDIA_STORAGE=s3) does, against moto's standalone server:
a fetch the rules allow is a redirect to a short-lived presigned URL; and where public media
may be linked (a CDN). The media rules themselves run on both storages in the media tests of
each domain (the `each_storage` fixture)."""

import io
import urllib.parse
import urllib.request

from PIL import Image

from config import load_config
from tests.accounts.helpers import PROFILE
from tests.support.chat import upload
from tests.support.images import jpeg_with_exif, png

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
