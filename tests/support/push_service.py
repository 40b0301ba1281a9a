"""A browser push service for the tests: it takes Web Push messages on loopback, checks their
VAPID signature and TTL, and decrypts them with the subscription's keys (http_ece), as a
browser's push service and the browser together would."""

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def uncompressed(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


@dataclass
class VapidKeys:
    """Keys as web-push tools print them: the raw private scalar and the public point."""

    private: str
    public: str

    @classmethod
    def generate(cls) -> "VapidKeys":
        key = ec.generate_private_key(ec.SECP256R1())
        scalar = key.private_numbers().private_value.to_bytes(32, "big")
        return cls(b64url(scalar), b64url(uncompressed(key.public_key())))


@dataclass
class Browser:
    """One subscription's keys, kept by the browser (the server only sees the public half)."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict:
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {
                "p256dh": b64url(uncompressed(self.key.public_key())),
                "auth": b64url(self.auth),
            },
        }


@dataclass
class Delivery:
    path: str
    headers: dict
    payload: dict
    claims: dict


class PushService:
    def __init__(self, vapid_public: str):
        self.vapid_public = vapid_public
        self.browsers: dict[str, Browser] = {}
        self.deliveries: list[Delivery] = []
        self.refused: list[str] = []  # why a message was not accepted
        self.answers: dict[str, int] = {}  # path -> status to answer (201 by default)
        self.delay = 0.0
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if service.delay:
                    time.sleep(service.delay)
                status = service.receive(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def browser(self, name: str) -> Browser:
        browser = Browser(f"{self.base}/push/{name}")
        self.browsers[f"/push/{name}"] = browser
        return browser

    def receive(self, path: str, headers: dict, body: bytes) -> int:
        try:
            delivery = self._check(path, headers, body)
        except Exception as problem:
            with self._lock:
                self.refused.append(f"{path}: {problem!r}")
            return 400
        with self._lock:
            self.deliveries.append(delivery)
        return self.answers.get(path, 201)

    def _check(self, path: str, headers: dict, body: bytes) -> Delivery:
        browser = self.browsers[path]
        assert int(headers["ttl"]) > 0, "no TTL"
        assert headers["content-encoding"] == "aes128gcm"
        scheme, _, params = headers["authorization"].partition(" ")
        assert scheme == "vapid", scheme
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        assert fields["k"] == self.vapid_public, "the VAPID key is not the server's"
        point = b64url_decode(fields["k"])
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(browser.endpoint))
        claims = jwt.decode(fields["t"], public, algorithms=["ES256"], audience=origin)
        assert claims["exp"] <= time.time() + 24 * 3600
        plain = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth)
        return Delivery(path, headers, json.loads(plain), claims)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.deliveries) < count:
            time.sleep(0.02)
        return list(self.deliveries)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
