"""Media as clients and operators see them, on either storage (local disk or S3)."""

import urllib.request

from uzbekhub.common.storage import storage


def fetch_media(client, path: str) -> tuple[int, bytes]:
    """A media URL fetched as a browser would: a redirect to the bucket (S3) is followed."""
    response = client.get(path)
    if response.status_code != 302:
        return response.status_code, response.data
    with urllib.request.urlopen(response.headers["Location"], timeout=10) as fetched:
        return fetched.status, fetched.read()


def stored_names(app, folder: str) -> set[str]:
    """The names of the files stored under `folder`."""
    with app.app_context():
        return {
            path.rsplit("/", 1)[-1]
            for path, _ in storage().listing()
            if path.startswith(folder + "/")
        }
