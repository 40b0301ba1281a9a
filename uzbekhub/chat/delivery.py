"""Chat events and token revocations, delivered to the live connections of every process.

Routing is by user, never by a room membership remembered at connect time: each
event names its recipients (the room's members when it was committed, plus anyone
it removed), so a member added or removed later is right on every process at
once, and delivery costs no database query.

The hub keeps this process's connections by user. Socket.IO connections receive
chat events from Flask-SocketIO (through its Redis message queue across
processes); plain WebSocket connections receive them from here. With REDIS_URL
set, every event and control message goes through one Redis pub/sub channel
that every process (the publishing one included) listens to, so all processes
see them in the same order; without it, delivery happens in the process.
Control messages close the connections whose tokens were revoked (both transports).
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import orjson
from flask import Flask, current_app
from redis.exceptions import RedisError

from uzbekhub.accounts.tokens import Revocation
from uzbekhub.chat.events import ChatEvent
from uzbekhub.chat.protocol import BAD_TOKEN, GOING_AWAY, SESSION_ENDED, Peer, TokenBucket
from uzbekhub.common.redis import LISTEN_TIMEOUT, channel_name, listen_forever
from uzbekhub.extensions import socketio
from uzbekhub.operations.metrics import EVENTS_FANNED_OUT

log = logging.getLogger(__name__)

HUB_KEY = "chat_hub"
EVENT = b"E"
CONTROL = b"C"
# Who has a socket open on some process (Web Push goes to the others): each process
# refreshes its users' entries this often; older than three periods, an entry is stale.
PRESENCE_SECONDS = 30.0


def hub(app: Flask | None = None) -> "Hub":
    return (app or current_app).extensions[HUB_KEY]


class Hub:
    def __init__(self, app: Flask):
        self.app = app
        self._url = app.config.get("REDIS_URL")
        self.channel = channel_name(self._url, "chat") if self._url else None
        self._lock = threading.Lock()
        self._peers: dict[int, set[Peer]] = {}
        self._buckets: dict[int, TokenBucket] = {}
        self._listener_started = False
        self._subscribed = threading.Event()
        self._ever_subscribed = False
        self._barriers: dict[str, threading.Event] = {}
        self._in_flight = 0
        self.draining = False
        self._process = uuid.uuid4().hex
        self._presence_started = False

    # --- connections ----------------------------------------------------------------------------

    def add(self, peer: Peer) -> None:
        self._ensure_listening()
        with self._lock:
            first = peer.user_id not in self._peers
            self._peers.setdefault(peer.user_id, set()).add(peer)
            # One frame budget per user: more sockets do not multiply it.
            peer.bucket = self._buckets.setdefault(peer.user_id, peer.bucket)
        if first:
            self._mark_present([peer.user_id])

    def remove(self, peer: Peer) -> None:
        last = False
        with self._lock:
            peers = self._peers.get(peer.user_id)
            if peers is not None:
                peers.discard(peer)
                if not peers:
                    del self._peers[peer.user_id]
                    self._buckets.pop(peer.user_id, None)
                    last = True
        if last:
            self._mark_absent(peer.user_id)

    def peers_of(self, user_id: int) -> tuple[Peer, ...]:
        with self._lock:
            return tuple(self._peers.get(user_id, ()))

    def all_peers(self) -> list[Peer]:
        with self._lock:
            return [peer for peers in self._peers.values() for peer in peers]

    # --- presence across processes -----------------------------------------------------------

    def is_online(self, user_id: int) -> bool:
        """Has the user a socket open on any process? (Without Redis: on this one.)"""
        if self.peers_of(user_id):
            return True
        client = self.app.extensions.get("redis")
        if client is None:
            return False
        try:
            fresh_since = time.time() - 3 * PRESENCE_SECONDS
            return bool(client.zcount(self._presence_key(user_id), fresh_since, "+inf"))
        except RedisError:
            log.exception("Redis is unavailable: presence on other processes unknown")
            return False

    def _presence_key(self, user_id: int) -> str:
        return f"{self.channel}:presence:{user_id}"

    def _mark_present(self, user_ids: list[int]) -> None:
        client = self.app.extensions.get("redis")
        if client is None or not user_ids:
            return
        now = time.time()
        try:
            with client.pipeline(transaction=False) as pipe:
                for user_id in user_ids:
                    key = self._presence_key(user_id)
                    pipe.zadd(key, {self._process: now})
                    pipe.expire(key, int(3 * PRESENCE_SECONDS))
                pipe.execute()
        except RedisError:
            log.exception("Redis is unavailable: presence not recorded")
        self._ensure_refreshing()

    def _mark_absent(self, user_id: int) -> None:
        client = self.app.extensions.get("redis")
        if client is None:
            return
        try:
            client.zrem(self._presence_key(user_id), self._process)
        except RedisError:
            log.exception("Redis is unavailable: presence not cleared")

    def _ensure_refreshing(self) -> None:
        with self._lock:
            start = not self._presence_started
            self._presence_started = True
        if start:
            socketio.start_background_task(self._refresh_presence)

    def _refresh_presence(self) -> None:
        while True:
            socketio.sleep(PRESENCE_SECONDS)
            with self._lock:
                users = list(self._peers)
            self._mark_present(users)

    # --- publishing -----------------------------------------------------------------------------

    def publish_event(self, chat_event: ChatEvent) -> None:
        """An EventBus subscriber: the event, encoded once, to every process."""
        users = [u for u in chat_event.recipients if u != chat_event.exclude_user_id]
        if not users:
            return
        removed = None
        if chat_event.type == "member_removed":
            removed = chat_event.payload["user"]["id"]
        header = {"room": chat_event.room_id, "type": chat_event.type, "users": users}
        if removed is not None:
            header["removed"] = removed
        frame = orjson.dumps(chat_event.payload)
        self._send(
            EVENT + orjson.dumps(header) + b"\n" + frame,
            lambda: self._fan_out(header, frame),
        )

    def revoke(self, revocation: Revocation) -> None:
        """A revocation hook: end the connections that the revoked tokens opened."""
        message = {
            "k": "revoke",
            "user": revocation.user_id,
            "session": revocation.session,
            "below_version": revocation.below_version,
        }
        self._send(CONTROL + orjson.dumps(message), lambda: self._control(message))

    def _send(self, message: bytes, deliver_here: Callable[[], None]) -> None:
        client = self.app.extensions.get("redis")
        if client is None:
            deliver_here()
            return
        try:
            client.publish(self.channel, message)
        except RedisError:
            log.exception("Redis is unavailable: delivering to this process only")
            deliver_here()

    # --- receiving ------------------------------------------------------------------------------

    def _fan_out(self, header: dict, frame: bytes) -> None:
        room, kind, removed = header["room"], header["type"], header.get("removed")
        EVENTS_FANNED_OUT.inc()
        for user_id in header["users"]:
            for peer in self.peers_of(user_id):
                peer.deliver(room, kind, frame, removed)

    def _control(self, message: dict) -> None:
        if message["k"] == "barrier":
            waiting = self._barriers.get(message["id"])
            if waiting is not None:
                waiting.set()
        elif message["k"] == "revoke":
            self._revoke_here(message)

    def _revoke_here(self, message: dict) -> None:
        session, below_version = message["session"], message["below_version"]
        for peer in self.peers_of(message["user"]):
            if below_version is not None:
                ended = peer.token_version < below_version
            else:
                ended = peer.session == session
            if ended:
                peer.end(BAD_TOKEN, SESSION_ENDED)

    def _receive(self, data: bytes) -> None:
        kind, body = data[:1], data[1:]
        if kind == EVENT:
            header, _, frame = body.partition(b"\n")
            self._fan_out(orjson.loads(header), frame)
        elif kind == CONTROL:
            self._control(orjson.loads(body))

    def _ensure_listening(self) -> None:
        """Subscribe this process to the channel before its first connections are served
        (they wait for it; while Redis is down later, new ones do not)."""
        if self._url is None:
            return
        with self._lock:
            start = not self._listener_started
            self._listener_started = True
        if start:
            socketio.start_background_task(self._listen)
        if not self._ever_subscribed and not self._subscribed.wait(LISTEN_TIMEOUT):
            log.error("not subscribed to %s yet: events may be missed", self.channel)

    def _listen(self) -> None:
        listen_forever(
            self._url, self.channel, self._receive_safely, self._on_subscribed, self._on_lost
        )

    def _on_subscribed(self) -> None:
        # Confirmed by Redis: whatever is published from now on arrives.
        self._subscribed.set()
        self._ever_subscribed = True

    def _on_lost(self, retry_in: float) -> None:
        self._subscribed.clear()
        log.warning(
            "lost the Redis channel %s; reconnecting in %.1f s (events meanwhile are"
            " missed: clients catch up from history)",
            self.channel,
            retry_in,
            exc_info=True,
        )

    def _receive_safely(self, data: bytes) -> None:
        try:
            self._receive(data)
        except Exception:
            log.exception("could not deliver a message from %s", self.channel)

    # --- stopping -------------------------------------------------------------------------------

    @contextmanager
    def frame_in_progress(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def shutdown(self, timeout: float) -> None:
        """Stop taking frames, let those in progress finish and their events arrive,
        then close every connection (plain WebSocket with 1001) after what is queued
        for it. Returns when the connections are gone, or after `timeout` seconds."""
        self.draining = True
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            socketio.sleep(0.02)
        self._barrier(max(0.1, deadline - time.monotonic()))
        for peer in self.all_peers():
            peer.end(GOING_AWAY, "The server is shutting down.")
        while self.all_peers() and time.monotonic() < deadline:
            socketio.sleep(0.02)

    def _barrier(self, timeout: float) -> None:
        """Wait until this process has received everything it published so far."""
        if self._url is None or not self._subscribed.is_set():
            return
        token = uuid.uuid4().hex
        arrived = self._barriers[token] = threading.Event()
        try:
            self._send(CONTROL + orjson.dumps({"k": "barrier", "id": token}), arrived.set)
            arrived.wait(timeout)
        finally:
            self._barriers.pop(token, None)
