"""Where media bytes live: the local disk (MEDIA_ROOT) or an S3-compatible bucket.

Only the mechanics are here (write, read, delete, list, answer a fetch); what may be stored,
by whom, and when a file goes are the rules of `uzbekhub.common.media` and the services.
Paths are the stored relative paths (`folder/name.ext`), the same on either storage.
"""

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, Response, current_app, redirect, send_from_directory
from werkzeug.security import safe_join

EXTENSION_KEY = "media_storage"
# What a storage raises when it cannot do what it was asked: the disk (OSError), or the
# bucket's endpoint (unreachable, refusing, timing out: botocore's errors).
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


class Storage(Protocol):
    def exists(self, path: str) -> bool: ...

    def write(self, path: str, data: bytes, content_type: str) -> None: ...

    def read(self, path: str) -> bytes | None: ...

    def delete(self, path: str) -> None: ...

    def listing(self) -> Iterator[tuple[str, datetime]]:
        """Every stored path, with the time it was written (UTC)."""
        ...

    def answer(
        self, path: str, content_type: str, attachment: bool, cache_control: str
    ) -> Response:
        """The answer to a fetch that the rules allowed, the download carrying `cache_control`;
        404 handling is the caller's."""
        ...


class LocalStorage:
    def __init__(self, root: str):
        self.root = root

    def _full(self, path: str) -> str | None:
        return safe_join(self.root, path)

    def exists(self, path: str) -> bool:
        full = self._full(path)
        return bool(full) and os.path.isfile(full)

    def write(self, path: str, data: bytes, content_type: str) -> None:
        target = self._full(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except OSError:
            os.remove(tmp)  # a full disk: no half-written file stays
            raise

    def read(self, path: str) -> bytes | None:
        if not self.exists(path):
            return None
        with open(self._full(path), "rb") as fh:
            return fh.read()

    def delete(self, path: str) -> None:
        if self.exists(path):
            os.remove(self._full(path))

    def listing(self) -> Iterator[tuple[str, datetime]]:
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith("."):  # `.upload-*`: being written
                    continue
                full = os.path.join(folder, name)
                written = datetime.fromtimestamp(os.path.getmtime(full), UTC)
                yield os.path.relpath(full, self.root).replace(os.sep, "/"), written

    def answer(
        self, path: str, content_type: str, attachment: bool, cache_control: str
    ) -> Response:
        response = send_from_directory(self.root, path, mimetype=content_type)
        if attachment:
            response.headers["Content-Disposition"] = "attachment"
        response.headers["Cache-Control"] = cache_control
        return response


class S3Storage:
    """A bucket through boto3; credentials come the standard AWS way (environment variables,
    shared files, instance roles). A fetch is answered with a redirect to a presigned URL."""

    def __init__(self, bucket: str, endpoint_url: str | None, region: str | None, expiry: int):
        self.bucket = bucket
        self.expiry = expiry
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(signature_version="s3v4", retries={"max_attempts": 3}),
        )

    def exists(self, path: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=path)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def write(self, path: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=path, Body=data, ContentType=content_type)

    def read(self, path: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=path)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def delete(self, path: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=path)

    def listing(self) -> Iterator[tuple[str, datetime]]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", ()):
                yield item["Key"], item["LastModified"].astimezone(UTC)

    def answer(
        self, path: str, content_type: str, attachment: bool, cache_control: str
    ) -> Response:
        params = {
            "Bucket": self.bucket,
            "Key": path,
            "ResponseContentType": content_type,
            "ResponseCacheControl": cache_control,
        }
        if attachment:
            params["ResponseContentDisposition"] = "attachment"
        url = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.expiry)
        response = redirect(url, code=302)
        # The location is a short-lived credential: nobody keeps the redirect.
        response.headers["Cache-Control"] = "no-store"
        return response


def storage() -> Storage:
    return current_app.extensions[EXTENSION_KEY]


def create_storage(config) -> Storage:
    if config["MEDIA_STORAGE"] == "s3":
        return S3Storage(
            config["S3_BUCKET"],
            config["S3_ENDPOINT_URL"],
            config["S3_REGION"],
            int(config["S3_URL_SECONDS"]),
        )
    return LocalStorage(config["MEDIA_ROOT"])


def register_storage(app: Flask) -> None:
    if app.config["MEDIA_STORAGE"] == "local":
        os.makedirs(app.config["MEDIA_ROOT"], exist_ok=True)
    app.extensions[EXTENSION_KEY] = create_storage(app.config)
