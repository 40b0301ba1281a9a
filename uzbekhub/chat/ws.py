"""The plain WebSocket transport, on the HTTP port: `/ws/chat/` carries every room of
the caller (frames name `room_id`), `/ws/chat/<room_id>/` one room.

flask-sock hands each connection to a simple-websocket server, which reads in a
thread of its own; one `Heartbeat` per process pings them all. Events and replies go out
straight to the socket while it takes them without waiting; only what it does not
take queues, for a writer that runs while the queue has frames, so that a slow
client never holds up delivery to the others. Data frames are framed here, not by
wsproto: a server's text frame is a two-to-ten-byte header and the UTF-8 text, and
fan-out writes one to every member's connection. Two habits
of simple-websocket 1.1 are corrected: it writes with `socket.send()` and ignores
partial writes (a busy socket then corrupts the stream), and it accepts
permessage-deflate, whose zlib state costs some 300 KB per connection for frames
of a few hundred bytes.
"""

import logging
import socket
import threading
import time
from collections import deque
from contextlib import suppress
from functools import lru_cache

from flask import Blueprint, current_app, g, request
from simple_websocket import ConnectionClosed

from uzbekhub.chat.delivery import hub
from uzbekhub.chat.events import USER_EVENTS
from uzbekhub.chat.protocol import (
    GOING_AWAY,
    NO_SUCH_ROOM,
    NOT_A_MEMBER,
    Identity,
    Peer,
    Refused,
    authenticate,
    connection_closed,
    encode,
    handle_frame,
    open_room,
    request_token,
)
from uzbekhub.common.request_log import note_user
from uzbekhub.errors import NON_FIELD, invalid
from uzbekhub.extensions import db, sock, socketio
from uzbekhub.operations.metrics import FRAMES_DROPPED, SLOW_CONSUMERS

log = logging.getLogger(__name__)

INTERNAL_ERROR = 1011
CLOSING_TIMEOUT = 2
# A callable the server may put in the WSGI environ: frees the buffers of the HTTP
# connection that became this WebSocket (`wsgi.py`).
RELEASE_HTTP_BUFFERS = "uzbekhub.release_http_buffers"

blp = Blueprint("chat_ws", __name__)


@blp.before_request
def _require_handshake():
    """A plain HTTP request to a socket URL gets a sentence that says what to do instead."""
    if request.headers.get("Upgrade", "").lower() != "websocket":
        raise invalid(NON_FIELD, "This is a WebSocket endpoint: connect with a WebSocket client.")


@blp.before_request
def _without_compression():
    """Leave permessage-deflate out of the handshake (see the module docstring)."""
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)


@blp.before_request
def _subscribe():
    """Authenticate and subscribe before the handshake completes, so that every event
    committed after the client sees the socket open reaches it: events that arrive before
    the handshake is written wait in the connection's queue. A refusal waits for the
    handshake too, to be told with its close code."""
    realtime = hub()
    try:
        if realtime.draining:
            raise Refused(GOING_AWAY, "The server is shutting down.")
        identity = authenticate(request_token())
        room_id = request.view_args.get("room_id")
        room = open_room(identity, room_id) if room_id is not None else None
    except Refused as refused:
        g.chat_refused = refused
        return
    finally:
        db.session.remove()
    note_user(identity.user_id)
    g.chat_peer = SocketPeer(identity, room)
    realtime.add(g.chat_peer)


@blp.teardown_request
def _unsubscribe(exc):
    """A handshake that failed leaves no subscription behind."""
    peer = g.pop("chat_peer", None)
    if peer is not None:
        hub().remove(peer)


@sock.route("/ws/chat/", bp=blp)
def all_rooms(ws):
    serve(ws)


@sock.route("/ws/chat/<room_id>/", bp=blp)
def one_room(ws, room_id):
    serve(ws)


def socket_options(config) -> dict:
    """simple-websocket's options: the frame size that closes the socket (smaller frames
    that are still too large get an error frame instead). No ping interval: its heartbeat
    costs every connection a selector and a timer of its own; `Heartbeat` pings them all."""
    return {"ping_interval": None, "max_message_size": config["CHAT_SOCKET_MAX_BYTES"]}


PING_FRAME = b"\x89\x00"  # FIN, the ping opcode, no payload
POLICY_VIOLATION = 1008
HEARTBEAT_KEY = "chat_ws_heartbeat"


class Heartbeat:
    """Every CHAT_PING_SECONDS, one green thread pings every plain WebSocket of the process
    and closes (1008) those that did not answer the previous ping with a pong. It starts
    with the process's first socket."""

    def __init__(self, interval: float):
        self.interval = interval
        self._lock = threading.Lock()
        self._started = False

    def ensure_started(self, realtime) -> None:
        with self._lock:
            start = bool(self.interval) and not self._started
            self._started = True
        if start:
            socketio.start_background_task(self._run, realtime)

    def _run(self, realtime) -> None:
        while True:
            socketio.sleep(self.interval)
            for peer in realtime.all_peers():
                if isinstance(peer, SocketPeer):
                    try:
                        peer.beat()
                    except Exception:
                        log.exception("heartbeat of a chat socket of user %s", peer.user_id)


def register_heartbeat(app) -> None:
    app.extensions[HEARTBEAT_KEY] = Heartbeat(app.config["CHAT_PING_SECONDS"])


TEXT_FRAME = 0x81  # FIN and the text opcode


# Fan-out frames one event for every member's connection: the same bytes object each
# time, found again by identity (bytes keep their hash), so it is framed once.
@lru_cache(maxsize=8)
def text_frame(payload: bytes) -> bytes:
    """An unmasked, unfragmented text frame (RFC 6455 §5.2), as servers send them."""
    size = len(payload)
    if size < 126:
        header = bytes((TEXT_FRAME, size))
    elif size < 1 << 16:
        header = bytes((TEXT_FRAME, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((TEXT_FRAME, 127)) + size.to_bytes(8, "big")
    return header + payload


class _WholeWrites:
    """The connection's socket, with `send()` writing everything, one writer at a time
    (simple-websocket's reader thread answers pings while the queue writer sends)."""

    def __init__(self, raw):
        self._raw = raw
        # Under eventlet, the OS socket beneath the green one: it never waits.
        self._os_socket = getattr(raw, "fd", raw)
        self._lock = threading.Lock()

    def send(self, data: bytes) -> int:
        with self._lock:
            self._raw.sendall(data)
        return len(data)

    def send_now(self, data: bytes) -> int:
        """As much of `data` as the socket takes without waiting (0 while another writer
        is busy)."""
        if not self._lock.acquire(blocking=False):
            return 0
        try:
            return self._os_socket.send(data, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return 0
        finally:
            self._lock.release()

    def __getattr__(self, name):
        return getattr(self._raw, name)


def _close(ws, code: int, reason: str) -> None:
    try:
        ws.close(reason=code, message=reason)
    except (ConnectionClosed, OSError):
        ws.connected = False
    # Wake the handler waiting in receive(): simple-websocket does not when it closes.
    ws.event.set()


def _abort(ws) -> None:
    """Drop a connection that cannot be written to (a close frame would not get through)."""
    ws.connected = False
    with suppress(OSError):
        ws.sock.shutdown(socket.SHUT_RDWR)
    ws.event.set()


class _Close:
    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str):
        self.code = code
        self.reason = reason


class SocketPeer(Peer):
    """A plain WebSocket connection: its frames leave in order through one queue. It is
    subscribed before its handshake is written; until `opened()`, frames only queue."""

    def __init__(self, identity: Identity, room=None):
        super().__init__(identity, room)
        config = current_app.config
        self.ws = None
        self._queue_limit = config["CHAT_SEND_QUEUE"]
        self._stall_limit = 2 * (config["CHAT_PING_SECONDS"] or 30)
        self._outbox: deque = deque()
        self._lock = threading.Lock()
        self._writing_since: float | None = None
        self._dropped = False

    def deliver(self, room: str, kind: str, frame: bytes, removed_user: int | None) -> None:
        if self.room_key is not None and room not in (self.room_key, USER_EVENTS):
            return
        self._push(text_frame(frame))
        if self.room_key is None:
            return
        if kind == "room_deleted":
            self.end(NO_SUCH_ROOM, "The room was deleted.")
        elif kind == "member_removed" and removed_user == self.user_id:
            self.end(NOT_A_MEMBER, "You are no longer a member of this room.")

    def send_frame(self, frame: dict) -> None:
        self._push(text_frame(encode(frame)))

    def opened(self, ws) -> None:
        """The handshake is written: what queued meanwhile goes out first."""
        with self._lock:
            self.ws = ws
            dropped = self._dropped
            start = bool(self._outbox) and not dropped
            if start:
                self._writing_since = time.monotonic()
        if dropped:
            _abort(ws)
        elif start:
            socketio.start_background_task(self._write)

    def beat(self) -> None:
        """One heartbeat: a ping, or the close if the last one got no pong (simple-websocket
        notes pongs in `pong_received`)."""
        if self.ws is None:
            return
        if not self.ws.pong_received:
            self.end(POLICY_VIOLATION, "Ping/Pong timeout")
        else:
            self.ws.pong_received = False
            self._push(PING_FRAME)

    def end(self, code: int, reason: str) -> None:
        self._push(_Close(code, reason))

    def _push(self, item) -> None:
        """Queue a wire frame (or a close) behind what is queued; an idle connection's
        frame goes out at once, as far as its socket takes it."""
        start = drop = False
        with self._lock:
            if self._dropped:
                FRAMES_DROPPED.inc()
                return
            stalled = (
                self._writing_since is not None
                and time.monotonic() - self._writing_since > self._stall_limit
            )
            if stalled or (not self.ended and len(self._outbox) >= self._queue_limit):
                self.ended = self._dropped = drop = True
                FRAMES_DROPPED.inc(len(self._outbox) + 1)
                SLOW_CONSUMERS.inc()
                self._outbox.clear()
            elif not self.ended:
                self.ended = isinstance(item, _Close)
                idle = self._writing_since is None and self.ws is not None
                if idle and not self.ended:
                    item = self._write_now(item)
                if item:
                    self._outbox.append(item)
                    if idle:
                        self._writing_since = time.monotonic()
                        start = True
        if drop:
            log.warning("dropping a chat socket of user %s: it does not read", self.user_id)
            if self.ws is not None:
                _abort(self.ws)
        elif start:
            socketio.start_background_task(self._write)

    def _write_now(self, wire: bytes) -> bytes:
        """What is left of `wire` after one write that does not wait."""
        if not self.ws.connected:
            return wire  # the writer finds it closed
        try:
            sent = self.ws.sock.send_now(wire)
        except OSError:
            # The writer meets the same error and drops the connection.
            return wire
        return wire[sent:]

    def _write(self) -> None:
        while True:
            with self._lock:
                if not self._outbox:
                    self._writing_since = None
                    return
                item = self._outbox.popleft()
                self._writing_since = time.monotonic()
            try:
                if isinstance(item, _Close):
                    _close(self.ws, item.code, item.reason)
                elif self.ws.connected:
                    self.ws.sock.send(item)
                else:
                    raise ConnectionClosed(self.ws.close_reason, self.ws.close_message)
            except (ConnectionClosed, OSError):
                with self._lock:
                    self.ended = True
                    self._outbox.clear()
                    self._writing_since = None
                _abort(self.ws)
                return


def serve(ws) -> None:
    """One connection, from authentication to close; frames are handled in order."""
    # Before simple-websocket's reader first writes: it has not run yet (under eventlet
    # it starts when this green thread first yields).
    ws.sock = _WholeWrites(ws.sock)
    release_http_buffers = request.environ.get(RELEASE_HTTP_BUFFERS)
    if release_http_buffers is not None:
        release_http_buffers()
    try:
        _serve(ws)
    finally:
        _finish_closing(ws)


def _serve(ws) -> None:
    refused = g.pop("chat_refused", None)
    if refused is not None:
        _close(ws, refused.code, refused.reason)
        return
    realtime = hub()
    peer = g.chat_peer
    peer.opened(ws)
    current_app.extensions[HEARTBEAT_KEY].ensure_started(realtime)
    try:
        while True:
            # After the peer has ended, frames still buffered are ignored and the
            # close its writer sends makes receive() raise.
            data = ws.receive()
            if data is None:
                continue
            reply = handle_frame(peer, data, gate=realtime)
            if reply is not None:
                peer.send_frame(reply)
    except ConnectionClosed:
        pass
    except Exception:
        log.exception("chat socket of user %s failed", peer.user_id)
        _close(ws, INTERNAL_ERROR, "Internal server error occurred")
    finally:
        realtime.remove(peer)
        connection_closed(peer)


def _finish_closing(ws) -> None:
    """Let the client answer our close frame before the server drops the connection:
    simple-websocket's reader ends when the answer (or anything else) arrives. Dropping
    it with the client's data unread would reset the connection, and the client could
    lose the close frame and its code."""
    ws.thread.join(CLOSING_TIMEOUT)
