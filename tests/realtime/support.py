"""Real clients for the live tests (websocket-client and python-socketio's client), and
helpers for Flask-SocketIO's test client."""

import json
import queue
import struct
import time
import urllib.error
import urllib.request

import socketio
import websocket
from sqlalchemy import select

from uzbekhub.accounts.models import User
from uzbekhub.extensions import db

TIMEOUT = 5
NAMESPACE = "/chat"
# Events about the user (tests/notifications) reach their sockets too, announced after the
# commit from the notifier's thread; the chat's tests read the chat's frames only.
NOTIFICATION_EVENTS = frozenset({"notification", "notification_removed", "notification_count"})


class Closed(Exception):
    def __init__(self, code: int | None, reason: str):
        super().__init__(f"closed with {code}: {reason}")
        self.code = code
        self.reason = reason


def ws_url(base: str, room=None, **query) -> str:
    url = base.replace("http://", "ws://") + "/ws/chat/" + (f"{room}/" if room else "")
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


class WsClient:
    """A plain WebSocket client, as a browser's WebSocket would use the server."""

    def __init__(self, url: str, token: str | None = None, headers: tuple[str, ...] = ()):
        auth = [f"Authorization: Bearer {token}"] if token else []
        self.ws = websocket.create_connection(url, header=[*headers, *auth], timeout=TIMEOUT)

    def send(self, frame) -> None:
        if isinstance(frame, bytes):
            self.ws.send_binary(frame)
        else:
            self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def next(self, timeout: float = TIMEOUT, *, notifications: bool = False) -> dict:
        """The next frame (notification events skipped unless asked for); Closed if the
        server closed the socket instead."""
        deadline = time.monotonic() + timeout
        while True:
            self.ws.settimeout(max(0.01, deadline - time.monotonic()))
            opcode, frame = self.ws.recv_data_frame()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise Closed(*close_of(frame.data))
            data = json.loads(frame.data)
            if notifications or data.get("type") not in NOTIFICATION_EVENTS:
                return data

    def expect(self, kind: str, timeout: float = TIMEOUT) -> dict:
        frame = self.next(timeout)
        assert frame["type"] == kind, frame
        return frame

    def closed(self, timeout: float = TIMEOUT) -> Closed:
        """How the server closes this socket, skipping the frames before the close."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.next(max(0.1, deadline - time.monotonic()))
            except Closed as closed:
                return closed

    def quiet(self) -> None:
        """Nothing arrived: a ping is answered by the very next frame."""
        self.send({"type": "ping"})
        assert self.next() == {"type": "pong"}

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        except Exception:
            self.ws.shutdown()


def refusal_of(base: str, token: str) -> dict:
    """The connect_error a bad connection gets (python-socketio keeps it from the exception)."""
    client = SioClient.__new__(SioClient)
    client.events, client.disconnected = queue.Queue(), False
    client.refusal = None
    client.sio = socketio.Client(reconnection=False)
    client.sio.on("connect_error", client._refused, namespace=NAMESPACE)
    try:
        client.sio.connect(
            base, namespaces=[NAMESPACE], auth={"token": token}, transports=["websocket"]
        )
    except socketio.exceptions.ConnectionError:
        return client.refusal
    client.sio.disconnect()
    raise AssertionError("the connection was accepted")


def close_of(data: bytes) -> tuple[int | None, str]:
    if len(data) < 2:
        return None, ""
    return struct.unpack("!H", data[:2])[0], data[2:].decode()


class SioClient:
    """python-socketio's client on /chat, over the WebSocket transport.

    A refused connection raises socketio.exceptions.ConnectionError; the server's reason
    is then in `refused(base, token)`.
    """

    def __init__(self, base: str, token: str | None):
        self.events: queue.Queue = queue.Queue()
        self.notifications: queue.Queue = queue.Queue()
        self.disconnected = False
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._event, namespace=NAMESPACE)
        self.sio.on("disconnect", self._disconnect, namespace=NAMESPACE)
        self.refusal = None
        self.sio.on("connect_error", self._refused, namespace=NAMESPACE)
        self.sio.connect(
            base,
            namespaces=[NAMESPACE],
            auth={"token": token},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )

    def _refused(self, data=None):
        self.refusal = data

    def _event(self, event, data=None):
        if event in NOTIFICATION_EVENTS:
            self.notifications.put(data)
        else:
            self.events.put((event, data))

    def _disconnect(self, *args):
        self.disconnected = True
        self.events.put(("disconnect", None))

    def emit(self, event: str, data=None) -> None:
        self.sio.emit(event, data, namespace=NAMESPACE)

    def next(self, timeout: float = TIMEOUT) -> tuple[str, dict]:
        return self.events.get(timeout=timeout)

    def expect(self, kind: str, timeout: float = TIMEOUT) -> dict:
        event, data = self.next(timeout)
        assert event == kind, (event, data)
        assert data["type"] == kind, data
        return data

    def quiet(self) -> None:
        self.emit("ping")
        assert self.next() == ("pong", {"type": "pong"})

    def close(self) -> None:
        self.sio.disconnect()


def http(method: str, url: str, body=None, token: str | None = None):
    """A request to a live server: (status, JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_until(condition, timeout: float = TIMEOUT, interval: float = 0.02):
    """Poll for a state that something else (another process or thread) brings about."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def last_online(app, user_id: int):
    with app.app_context():
        value = db.session.scalar(select(User.last_online).where(User.id == user_id))
        db.session.remove()
        return value


def online_after(app, user_id: int, moment) -> bool:
    """Was `last_online` saved after `moment`? (User ids are reused from test to test, so a
    late write for an earlier test's user could set it before this test's close.)"""
    return wait_until(lambda: (last_online(app, user_id) or moment) > moment)


def received(client, *, notifications: bool = False) -> list[dict]:
    """The payloads a Flask-SocketIO test client got, each under its event name = its type
    (notification events left out unless asked for)."""
    frames = []
    for packet in client.get_received(NAMESPACE):
        (payload,) = packet["args"]
        assert payload["type"] == packet["name"], packet
        if notifications or payload["type"] not in NOTIFICATION_EVENTS:
            frames.append(payload)
    return frames


def of_kind(frames: list[dict], kind: str) -> list[dict]:
    return [frame for frame in frames if frame["type"] == kind]
