"""Media storage (uzbekhub/common/media.py) as profile pictures meet it, on the local disk and
on S3 (moto's server)."""

import io

import pytest
from PIL import Image

from tests.accounts.helpers import PROFILE, media_files, update_user, upload
from tests.support.answers import field_errors
from tests.support.images import image_bytes, jpeg_with_exif
from tests.support.media import fetch_media

HOST = "http://localhost"
pytestmark = pytest.mark.usefixtures("each_storage")


def send_picture(client, account, data: bytes, name="picture.png", **fields):
    return client.patch(
        PROFILE,
        data={"profile_picture": upload(data, name), **fields},
        headers=account.headers,
        content_type="multipart/form-data",
    )


def picture_path(response) -> str:
    return response.get_json()["profile_picture"].removeprefix(HOST)


@pytest.mark.parametrize(
    "fmt, ext", [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")]
)
def test_real_images_are_stored_and_served_under_an_absolute_url(client, alice, fmt, ext):
    response = send_picture(client, alice, image_bytes(fmt), name="whatever.bin")
    assert response.status_code == 200
    url = response.get_json()["profile_picture"]
    assert url.startswith(f"{HOST}/media/profile_pictures/") and url.endswith(f".{ext}")
    status, served, _ = fetch_media(client, url.removeprefix(HOST))
    assert status == 200
    assert Image.open(io.BytesIO(served)).format == fmt


def test_stored_names_are_random_and_never_the_uploaded_name(client, alice, bob):
    data = image_bytes()
    first = picture_path(send_picture(client, alice, data, name="me.png"))
    second = picture_path(send_picture(client, bob, data, name="me.png"))
    assert first != second
    for path in (first, second):
        name = path.rsplit("/", 1)[-1]
        assert name.split(".")[0] != "me" and len(name.split(".")[0]) >= 20


def test_exif_metadata_is_stripped(client, alice):
    original = jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif()  # the test image does carry EXIF
    response = send_picture(client, alice, original, name="holiday.jpg")
    assert response.status_code == 200
    stored = fetch_media(client, picture_path(response))[1]
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif()
    assert b"SpyCam" not in stored


@pytest.mark.parametrize(
    "data",
    [
        b"just some text, not an image",
        image_bytes("PNG")[:40],  # truncated
        b"%PDF-1.4 pretending",
        b"GIF89a" + b"\x00" * 20,
    ],
)
def test_non_images_are_400_and_leave_no_file(app, client, alice, data):
    before = media_files(app)
    response = send_picture(client, alice, data, name="fake.png")
    assert "profile_picture" in field_errors(response)
    assert media_files(app) == before


def test_an_empty_file_is_400(client, alice):
    response = send_picture(client, alice, b"", name="empty.png")
    assert "profile_picture" in field_errors(response)


def test_a_decompression_bomb_is_refused(app, client, alice):
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000), 0).save(out, format="PNG", optimize=True)
    bomb = out.getvalue()
    assert len(bomb) < 100_000  # tiny on disk, 144 megapixels in memory
    before = media_files(app)
    response = send_picture(client, alice, bomb, name="bomb.png")
    assert "profile_picture" in field_errors(response)
    assert media_files(app) == before


def test_an_upload_over_the_size_limit_is_413(app, client, alice, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 0.01)  # about 10 KB
    big = image_bytes("BMP", size=(100, 100))  # 30 KB; the size is checked before the content
    before = media_files(app)
    response = send_picture(client, alice, big, name="big.bmp")
    assert response.status_code == 413
    assert set(response.get_json()) == {"error"}
    assert media_files(app) == before


def test_an_image_just_under_the_limit_is_accepted(app, client, alice, monkeypatch):
    data = image_bytes("PNG", size=(64, 64))
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", (len(data) + 1) / 2**20)
    assert send_picture(client, alice, data).status_code == 200


def test_a_failed_request_leaves_no_orphan_file(app, client, alice, bob, monkeypatch):
    """The picture is written, then the username write loses a race: the file goes too."""
    update_user(app, bob, username="taken_name")
    monkeypatch.setattr("uzbekhub.accounts.profile_services.username_taken", lambda *a, **k: False)
    before = media_files(app)
    response = send_picture(client, alice, image_bytes(), username="taken_name")
    assert "username" in field_errors(response)
    assert media_files(app) == before


def test_replacing_the_picture_removes_the_old_file(app, client, alice):
    old = picture_path(send_picture(client, alice, image_bytes(color=(1, 2, 3))))
    new = picture_path(send_picture(client, alice, image_bytes(color=(4, 5, 6))))
    assert old != new
    assert client.get(old).status_code == 404
    assert fetch_media(client, new)[0] == 200


def test_a_failed_replacement_keeps_the_old_picture(app, client, alice):
    old = picture_path(send_picture(client, alice, image_bytes()))
    response = send_picture(client, alice, image_bytes(), phone="not a phone")
    assert response.status_code == 400
    assert fetch_media(client, old)[0] == 200
    assert client.get(PROFILE, headers=alice.headers).get_json()["profile_picture"].endswith(old)


def test_null_removes_the_picture_and_its_file(client, alice):
    old = picture_path(send_picture(client, alice, image_bytes()))
    response = client.patch(PROFILE, json={"profile_picture": None}, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["profile_picture"] is None
    assert client.get(old).status_code == 404


def test_an_empty_multipart_field_removes_the_picture(client, alice):
    send_picture(client, alice, image_bytes())
    response = client.patch(
        PROFILE,
        data={"profile_picture": ""},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert response.get_json()["profile_picture"] is None


def test_served_media_are_cached_for_a_year_without_revalidation(client, alice):
    """A stored name never gets other bytes: a new picture is a new name."""
    first = picture_path(send_picture(client, alice, image_bytes()))
    _, _, headers = fetch_media(client, first)
    assert set(headers["cache-control"].split(", ")) == {
        "public",
        "max-age=31536000",
        "immutable",
    }
    assert picture_path(send_picture(client, alice, image_bytes("JPEG"))) != first


def test_served_media_cannot_be_sniffed_into_html(client, alice):
    served = client.get(picture_path(send_picture(client, alice, image_bytes())))
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_media_paths_cannot_escape_the_media_root(client):
    assert client.get("/media/../config.py").status_code == 404
    assert client.get("/media/profile_pictures/%2e%2e/%2e%2e/config.py").status_code == 404
