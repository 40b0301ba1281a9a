"""Media: validated uploads in the media storage (uzbekhub.common.storage), served at MEDIA_URL.

Files written while a request runs are removed again if the request fails, and
files scheduled for deletion are removed only when it succeeds, so a refused or
crashed request leaves the storage as it found it.
"""

import io
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import filetype
from flask import Blueprint, Flask, current_app, g, request
from PIL import GifImagePlugin, Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from uzbekhub.common.offload import offload
from uzbekhub.common.smorest import Blueprint as ApiBlueprint
from uzbekhub.common.storage import STORAGE_ERRORS, register_storage, storage
from uzbekhub.errors import MediaStorageUnavailable, PayloadTooLarge, invalid

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# One frame; all frames of an animated image together (their total work); frames.
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_WORK = 40_000_000
MAX_IMAGE_FRAMES = 300
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
VIDEO_TYPES = {"video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov"}
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mov": "video/quicktime",
}

# A stored name never gets other bytes (a random name per upload, or the SHA-256 of the
# content), so a copy may be kept for a year and never revalidated.
MEDIA_MAX_AGE = 365 * 24 * 3600

# Documents the 503 of every view that stores an upload (`storage_reachable`).
stores_media = ApiBlueprint.answers(
    503, description="The media storage is out of reach: nothing was stored or changed"
)

# A guard decides whether the current request may read a file under a folder.
MediaGuard = Callable[[str], bool]
_guards: dict[str, MediaGuard] = {}


def media_route(config) -> str:
    """Where the app serves media: MEDIA_URL, or `/media/` when MEDIA_URL is a CDN's."""
    url = config["MEDIA_URL"]
    return "/media/" if url.startswith(("http://", "https://")) else url


def media_url(path: str) -> str:
    """The URL clients fetch `path` at. Public media may come from a CDN (an absolute
    MEDIA_URL); guarded folders (chat files) always from the app, which checks the token."""
    config = current_app.config
    if config["MEDIA_URL"] != media_route(config) and path.split("/", 1)[0] not in _guards:
        return f"{config['MEDIA_URL']}{path}"
    base = request.host_url.rstrip("/") if request else ""
    return f"{base}{media_route(config)}{path}"


def media_url_or_none(path: str | None) -> str | None:
    """What the API answers for an optional media path: its URL, or null."""
    return media_url(path) if path else None


def max_upload_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"] * MIB)


def read_upload(upload: FileStorage, field: str) -> bytes:
    """The upload's bytes: 413 beyond MAX_UPLOAD_MB, 400 when empty."""
    limit = max_upload_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(
            f"{field}: files may be at most {current_app.config['MAX_UPLOAD_MB']:g} MB."
        )
    if not data:
        raise invalid(field, "The submitted file is empty.")
    return data


def clean_image(data: bytes, field: str) -> tuple[bytes, str]:
    """Verify that `data` is a real image and re-encode it without metadata.

    Returns the new bytes and the file extension of the detected format. The work is
    bounded before any pixel is decoded (MAX_IMAGE_PIXELS a frame, MAX_IMAGE_FRAMES,
    MAX_IMAGE_WORK for all frames together) and done off the event loop.
    """
    outcome = offload(_clean_image, data)
    if isinstance(outcome, str):
        raise invalid(field, outcome)
    return outcome


NOT_AN_IMAGE = "Upload a valid image. The file is not an image or is corrupted."
TOO_MANY_PIXELS = "The image has too many pixels."
TOO_MANY_FRAMES = f"An animated image may have at most {MAX_IMAGE_FRAMES} frames."


def _clean_image(data: bytes) -> tuple[bytes, str] | str:
    """The re-encoded image and its extension, or the sentence refusing it (offloaded:
    no app, request or exception objects of ours in here)."""
    try:
        probe = Image.open(io.BytesIO(data))
        if probe.format not in IMAGE_FORMATS:
            return NOT_AN_IMAGE
        pixels = probe.width * probe.height
        if pixels > MAX_IMAGE_PIXELS:
            return TOO_MANY_PIXELS
        frames = _frame_count(probe, MAX_IMAGE_FRAMES)
        if frames > MAX_IMAGE_FRAMES:
            return TOO_MANY_FRAMES
        if frames * pixels > MAX_IMAGE_WORK:
            return TOO_MANY_PIXELS
        probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
        fmt = image.format
        return _reencode(image, fmt), IMAGE_FORMATS[fmt]
    except Image.DecompressionBombError:
        return TOO_MANY_PIXELS
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return NOT_AN_IMAGE


def _frame_count(image: Image.Image, cap: int) -> int:
    """The image's frames, counting no further than cap + 1 and decoding none.

    GIF declares no count: Pillow's `n_frames` walks every frame, and a file of a million
    one-pixel frames makes that walk long. Its own walk (`_seek` without updating the
    image) is taken here only as far as the cap.
    """
    if image.format != "GIF":
        return getattr(image, "n_frames", 1)
    count = 1
    try:
        while count <= cap:
            image._seek(count, False)
            count += 1
    except EOFError:
        pass
    return count


def _reencode(image: Image.Image, fmt: str) -> bytes:
    """Saving only the pixels drops EXIF (GPS, camera) and anything appended to the file."""
    out = io.BytesIO()
    animated = getattr(image, "is_animated", False)
    if animated:
        image.save(out, format=fmt, save_all=True)
        return out.getvalue()
    image = ImageOps.exif_transpose(image)
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=90, optimize=True)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def detect_video(data: bytes) -> str | None:
    """The extension of an mp4/webm/mov video recognised by content, or None."""
    kind = filetype.guess(data[:8192])
    if kind is None:
        return None
    return VIDEO_TYPES.get(kind.mime)


def save_image(upload: FileStorage, folder: str, field: str) -> str:
    data, ext = clean_image(read_upload(upload, field), field)
    return store(data, folder, ext)


def store(data: bytes, folder: str, ext: str, name: str | None = None) -> str:
    """Write `data` under `folder` in the media storage; returns the relative path.

    Without `name` the file gets a random, unguessable one. An existing file of
    the same name (content-addressed storage) is left as it is.
    """
    name = name or secrets.token_urlsafe(18)
    relative = f"{folder}/{name}.{ext}"
    with storage_reachable():
        if storage().exists(relative):
            return relative
        storage().write(relative, data, content_type_of(relative))
    _request_list("media_created").append(relative)
    return relative


@contextmanager
def storage_reachable() -> Iterator[None]:
    """The one place a storage failure becomes an answer: 503 in the error format, never a
    500. The request fails, so no row it wrote is committed and the files it stored before are
    removed (`finish_request`); a store that failed left nothing (an object is put whole)."""
    try:
        yield
    except STORAGE_ERRORS as exc:
        log.warning("media storage unavailable: %s", exc)
        raise MediaStorageUnavailable() from exc


def content_type_of(path: str) -> str:
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return CONTENT_TYPES.get(ext, "application/octet-stream")


def delete_after_success(path: str | None) -> None:
    """Remove `path` once the current request has succeeded (its commit included)."""
    if path:
        _request_list("media_doomed").append(path)


def delete_now(path: str) -> None:
    """Remove `path`. Deletions come after the commit (or after a failure): a storage that
    cannot remove the file then (S3 out of reach) leaves an orphan that `flask purge`
    removes, never a failed answer for a change already made, nor the other files kept."""
    try:
        storage().delete(path)
    except STORAGE_ERRORS as exc:
        log.warning("media %s not removed (`flask purge` will remove it): %s", path, exc)


def keep_created_files() -> None:
    """Forget files written so far: they belong to committed rows now."""
    _request_list("media_created").clear()


def _request_list(name: str) -> list[str]:
    if not hasattr(g, name):
        setattr(g, name, [])
    return getattr(g, name)


def finish_request(succeeded: bool) -> None:
    created = g.pop("media_created", [])
    doomed = g.pop("media_doomed", [])
    for path in doomed if succeeded else created:
        delete_now(path)


def register_media_guard(folder: str, guard: MediaGuard) -> None:
    """Files under `folder` are served only when `guard(path)` allows it."""
    _guards[folder] = guard


media_blueprint = Blueprint("media", __name__)


@media_blueprint.get("/<path:path>")
def serve_media(path: str):
    parts = path.split("/")
    # Stored paths are plain `folder/name.ext`: a dot segment (`x/../chat_files/...`) would
    # name a guarded folder while the guard looked at another one.
    if any(not part or part.startswith(".") for part in parts):
        raise NotFound()
    guard = _guards.get(parts[0])
    if guard is not None and not guard(path):
        raise NotFound()
    content_type = content_type_of(path)
    with storage_reachable():
        if not storage().exists(path):
            raise NotFound()
        response = storage().answer(
            path,
            content_type,
            attachment=content_type == "application/octet-stream",
            # Fetched with a token (often in the URL): no shared cache may keep a copy.
            cache_control=f"{'private' if guard else 'public'}, max-age={MEDIA_MAX_AGE}, immutable",
        )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def register_media(app: Flask) -> None:
    # Pillow turns every GIF frame after the first into RGB, which saving quantises again:
    # seconds of work that holds the GIL. Frames that share the palette stay as they are.
    GifImagePlugin.LOADING_STRATEGY = (
        GifImagePlugin.LoadingStrategy.RGB_AFTER_DIFFERENT_PALETTE_ONLY
    )
    register_storage(app)
    app.register_blueprint(media_blueprint, url_prefix=media_route(app.config).rstrip("/"))

    @app.after_request
    def _note_status(response):
        g.media_request_ok = response.status_code < 400
        return response

    @app.teardown_request
    def _clean_media(exc):
        if "media_created" in g or "media_doomed" in g:
            finish_request(exc is None and g.get("media_request_ok", False))
