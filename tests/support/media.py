"""Media as clients and operators see them, on either storage (local disk or S3)."""

import urllib.request

from uzbekhub.common.storage import storage


def media_key(url: str) -> str:
    """The stored path (`folder/name.ext`) of a media URL, absolute or not."""
    return url.split("/media/", 1)[1]


def fetch_media(client, path: str, **kwargs) -> tuple[int, bytes, dict[str, str]]:
    """A media URL fetched as a browser would: a redirect to the bucket (S3) is followed.
    The headers are those of the download, their names in lower case."""
    response = client.get(path.removeprefix("http://localhost"), **kwargs)
    if response.status_code != 302:
        headers = {name.lower(): value for name, value in response.headers.items()}
        return response.status_code, response.data, headers
    with urllib.request.urlopen(response.headers["Location"], timeout=10) as fetched:
        headers = {name.lower(): value for name, value in fetched.headers.items()}
        return fetched.status, fetched.read(), headers


def stored_bytes(app, url: str) -> bytes | None:
    """What the storage holds for a media URL (None: nothing)."""
    with app.app_context():
        return storage().read(media_key(url))


def is_stored(app, url: str) -> bool:
    with app.app_context():
        return storage().exists(media_key(url))


def stored_names(app, folder: str) -> set[str]:
    """The names of the files stored under `folder`."""
    with app.app_context():
        return {
            path.rsplit("/", 1)[-1]
            for path, _ in storage().listing()
            if path.startswith(folder + "/")
        }
