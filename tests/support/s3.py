"""moto's standalone S3 server, started once per test session when a test needs it."""

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import boto3

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "uzbekhub-test",
    "AWS_SECRET_ACCESS_KEY": "uzbekhub-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class MotoServer:
    url: str

    def new_bucket(self) -> str:
        name = f"uzbekhub-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def client(self):
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1")

    def keys(self, bucket: str) -> set[str]:
        listed = self.client().list_objects_v2(Bucket=bucket).get("Contents", [])
        return {item["Key"] for item in listed}

    def settings(self, bucket: str) -> dict:
        """The app's settings for this bucket (config keys, environment names alike)."""
        return {
            "MEDIA_STORAGE": "s3",
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": self.url,
            "S3_REGION": "us-east-1",
        }


@contextmanager
def moto_server(port: int, log_path):
    os.environ.update(CREDENTIALS)  # boto3 in this process and in live servers reads them
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto did not start:\n{log_path.read_text()}") from None
                time.sleep(0.2)
        yield MotoServer(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
