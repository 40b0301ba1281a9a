"""Hostile uploads on every upload route: refused ones leave nothing on disk, accepted ones
are stored under names of our making and served with a safe type and `nosniff`."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.trust.world import png

MIB = 1024 * 1024
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>'
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
PHP = b"<?php system($_GET['cmd']); ?>"
TRAVERSAL_NAME = "../../../etc/passwd\x00.png"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


# Every route that takes an image: (method, path, file field, other form fields).
IMAGE_ROUTES = {
    "profile picture": ("PATCH", "/api/accounts/account/profile/", "profile_picture", {}),
    "post image": ("POST", "/api/posts/post/", "images", {"content": "Look"}),
    "story media": ("POST", "/api/stories/active/", "media", {}),
    "room picture": (
        "POST",
        "/api/chat/rooms/",
        "profile_pic",
        {"room_type": "group", "name": "Pictures"},
    ),
}
CHAT_FILES = "/api/chat/files/"


@pytest.fixture
def small_limit(app):
    """MAX_UPLOAD_MB of 1 for one test, so that "one byte over" stays cheap."""
    original = app.config["MAX_UPLOAD_MB"]
    app.config["MAX_UPLOAD_MB"] = 1
    yield MIB
    app.config["MAX_UPLOAD_MB"] = original


def files_under(root: Path) -> set[str]:
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def disk(app):
    root = Path(app.config["MEDIA_ROOT"])
    return lambda: files_under(root)


def upload(client, account, route, data: bytes, name: str):
    method, path, field, fields = IMAGE_ROUTES[route]
    form = {**fields, field: (io.BytesIO(data), name)}
    return client.open(
        path, method=method, data=form, headers=account.headers, content_type="multipart/form-data"
    )


def accepted(route) -> int:
    """An upload's success: 200 for the profile's PATCH, 201 where it creates something."""
    return 200 if IMAGE_ROUTES[route][0] == "PATCH" else 201


def upload_chat_file(client, account, data: bytes, name: str, file_type="document"):
    return client.post(
        CHAT_FILES,
        data={"file": (io.BytesIO(data), name), "file_type": file_type},
        headers=account.headers,
        content_type="multipart/form-data",
    )


def stored_url(route: str, body: dict) -> str:
    if route == "profile picture":
        return body["profile_picture"]
    if route == "post image":
        return body["images"][0]["image"]
    if route == "story media":
        return body["media"]
    return body["profile_pic"]


def local(url: str) -> str:
    return url[url.index("/media/") :]


def assert_refused(response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.get_data()
    body = response.get_json()
    if status == 400:
        assert body["error"] == "Invalid request data"
        assert any(key.startswith(field) for key in body["details"]), body
    else:
        assert set(body) == {"error"}


# --- refused: nothing lands on disk -------------------------------------------------------------


REFUSED_IMAGES = {
    "zero bytes": (b"", "empty.png"),
    "a 100,000 x 100,000 PNG": (png_declaring(100_000, 100_000), "bomb.png"),
    "SVG named .jpg": (SVG, "cat.jpg"),
    "HTML named .jpg": (HTML, "cat.jpg"),
    "PHP named .jpg": (PHP, "shell.jpg"),
}


@pytest.mark.parametrize("route", IMAGE_ROUTES)
@pytest.mark.parametrize("kind", REFUSED_IMAGES)
def test_image_routes_refuse_what_is_not_an_image(client, alice, disk, route, kind):
    data, name = REFUSED_IMAGES[kind]
    before = disk()
    response = upload(client, alice, route, data, name)
    assert_refused(response, 400, IMAGE_ROUTES[route][2])
    assert disk() == before


@pytest.mark.parametrize("route", IMAGE_ROUTES)
def test_image_routes_refuse_one_byte_over_the_limit(client, alice, disk, small_limit, route):
    before = disk()
    data = png() + b"\x00" * (small_limit + 1 - len(png()))
    assert len(data) == small_limit + 1
    assert_refused(upload(client, alice, route, data, "big.png"), 413)
    assert disk() == before


def test_a_story_video_that_is_really_text_is_refused(client, alice, disk):
    before = disk()
    response = upload(client, alice, "story media", b"just some text, honest\n" * 40, "clip.mp4")
    assert_refused(response, 400, "media")
    assert disk() == before


@pytest.mark.parametrize(
    "data, status",
    [(b"", 400), (b"x" * (MIB + 1), 413)],
    ids=["zero bytes", "one byte over"],
)
def test_chat_files_refuse_empty_and_oversized_files(
    client, alice, disk, small_limit, data, status
):
    before = disk()
    assert_refused(upload_chat_file(client, alice, data, "a.bin"), status, "file")
    assert disk() == before


def test_a_chat_file_exactly_at_the_limit_is_taken(client, alice, small_limit):
    assert upload_chat_file(client, alice, b"x" * small_limit, "a.bin").status_code == 201


# --- accepted: our names, our types ---------------------------------------------------------


@pytest.mark.parametrize("route", IMAGE_ROUTES)
def test_a_jpeg_carrying_php_is_stored_as_clean_pixels(app, client, alice, route):
    response = upload(client, alice, route, jpeg() + PHP, "shell.php.jpg")
    assert response.status_code == accepted(route), response.get_data()
    url = stored_url(route, response.get_json())
    assert ".php" not in url and url.endswith(".jpg")
    stored = Path(app.config["MEDIA_ROOT"]) / url.split("/media/", 1)[1]
    assert PHP not in stored.read_bytes()
    served = client.get(local(url))
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("route", IMAGE_ROUTES)
def test_a_file_name_with_traversal_and_nul_is_never_used(app, client, alice, disk, route):
    before = disk()
    response = upload(client, alice, route, png(), TRAVERSAL_NAME)
    assert response.status_code == accepted(route), response.get_data()
    url = stored_url(route, response.get_json())
    assert "passwd" not in url and ".." not in url and "%00" not in url
    added = disk() - before
    assert len(added) == 1 and "passwd" not in next(iter(added))
    base = Path(app.config["MEDIA_ROOT"]).parent
    assert not list(base.rglob("*passwd*"))


@pytest.mark.parametrize(
    "data, name, file_type",
    [
        (SVG, "cat.jpg", "image"),
        (HTML, "page.jpg", "image"),
        (b"just some text, honest\n" * 40, "clip.mp4", "video"),
        (PHP, "shell.php", "document"),
    ],
    ids=["SVG named .jpg", "HTML named .jpg", "text named .mp4", "PHP"],
)
def test_chat_files_that_are_not_media_are_served_as_downloads(
    client, alice, data, name, file_type
):
    """Any bytes may be shared in a chat, but what is not an image or video by its content is
    stored as .bin and only ever downloaded, never rendered."""
    response = upload_chat_file(client, alice, data, name, file_type)
    assert response.status_code == 201, response.get_data()
    url = response.get_json()["file"]
    assert url.endswith(".bin")
    served = client.get(local(url), headers=alice.headers)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "application/octet-stream"
    assert served.headers["Content-Disposition"] == "attachment"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_a_chat_file_name_with_traversal_and_nul_is_never_used(app, client, alice, disk):
    before = disk()
    response = upload_chat_file(client, alice, b"%PDF-1.4 notes", TRAVERSAL_NAME)
    assert response.status_code == 201
    url = response.get_json()["file"]
    digest = response.get_json()["unique_id"]
    assert url.endswith(f"/media/chat_files/{digest}.pdf")
    assert disk() - before == {f"chat_files/{digest}.pdf"}


def test_a_chat_jpeg_carrying_php_keeps_an_image_type_and_its_hash_name(client, alice):
    response = upload_chat_file(client, alice, jpeg() + PHP, "shell.php.jpg", "image")
    body = response.get_json()
    assert body["file"].endswith(f"/chat_files/{body['unique_id']}.jpg")
    served = client.get(local(body["file"]), headers=alice.headers)
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
