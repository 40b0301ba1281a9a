"""The Socket.IO transport: namespace `/chat`, `auth={"token": ...}`.

Event names are the frame types, and payloads are the frames of the multiplexed
`/ws/chat/` (`type` included); a client may also emit `message` with a whole frame,
as it would send it on the plain WebSocket. Each connection is put in its user's
Socket.IO room, through which the events of all the user's chat rooms reach it
(see `uzbekhub.chat.delivery` for why rooms are not joined one by one).
"""

import json
import logging
from urllib.parse import parse_qs

from flask import request
from flask_socketio import ConnectionRefusedError, Namespace, join_room
from socketio.packet import Packet

from uzbekhub.chat.delivery import hub
from uzbekhub.chat.events import ChatEvent
from uzbekhub.chat.protocol import (
    Identity,
    Peer,
    Refused,
    RefusedFrame,
    authenticate,
    connection_closed,
    error_frame,
    handle_frame,
    request_token,
)
from uzbekhub.common.json import InvalidJSON, loads_strict
from uzbekhub.common.request_log import ENVIRON_NOTES, note_user
from uzbekhub.extensions import db, socketio

log = logging.getLogger(__name__)

NAMESPACE = "/chat"
SOCKETIO_PATH = "/socket.io/"


class StrictPayloads:
    """Socket.IO payloads read like request bodies (`uzbekhub.common.json`). A refused one
    still reaches the namespace, as a `message` event carrying a RefusedFrame, so that it
    is answered with an error frame like any bad frame (python-socketio would log a
    traceback for a parser error and answer nothing)."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str):
        try:
            return loads_strict(text)
        except InvalidJSON as exc:
            return ["message", RefusedFrame(exc.reason)]


class StrictPacket(Packet):
    json = StrictPayloads


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def emit_chat_event(chat_event: ChatEvent) -> None:
    """An EventBus subscriber: the event to its recipients' Socket.IO connections, on every
    process (Flask-SocketIO's message queue), encoded once per process."""
    rooms = [user_room(u) for u in chat_event.recipients if u != chat_event.exclude_user_id]
    if rooms:
        socketio.emit(chat_event.type, chat_event.payload, to=rooms, namespace=NAMESPACE)


class SocketIOPeer(Peer):
    def __init__(self, sid: str, identity: Identity):
        super().__init__(identity)
        self.sid = sid

    def deliver(self, room: str, kind: str, frame: bytes, removed_user: int | None) -> None:
        """Flask-SocketIO delivers events to this connection through its user's room."""

    def send_frame(self, frame: dict) -> None:
        # Straight to this process's client: a reply needs no trip through the queue.
        socketio.server.emit(
            frame["type"], frame, to=self.sid, namespace=NAMESPACE, ignore_queue=True
        )

    def end(self, code: int, reason: str) -> None:
        if self.ended:
            return
        self.ended = True
        self.send_frame(error_frame(reason, code=code))
        # Disconnecting runs the disconnect handler, which uses the database: not from
        # inside the commit that announced a revocation.
        socketio.start_background_task(self._disconnect)

    def _disconnect(self) -> None:
        socketio.server.disconnect(self.sid, namespace=NAMESPACE, ignore_queue=True)


class ChatNamespace(Namespace):
    def __init__(self, namespace: str = NAMESPACE):
        super().__init__(namespace)
        self._peers: dict[str, SocketIOPeer] = {}

    def on_connect(self, auth=None):
        realtime = hub()
        if realtime.draining:
            raise ConnectionRefusedError("The server is shutting down.", {"code": 1001})
        identity = _authenticated(auth)
        peer = SocketIOPeer(request.sid, identity)
        join_room(user_room(identity.user_id))
        self._peers[request.sid] = peer
        realtime.add(peer)

    def on_disconnect(self, reason=None):
        peer = self._peers.pop(request.sid, None)
        if peer is not None:
            peer.ended = True
            hub().remove(peer)
            connection_closed(peer)

    def trigger_event(self, event, *args):
        lifecycle = event in ("connect", "disconnect")
        if (lifecycle and self._sent_by_client(args[0])) or (
            not lifecycle and not hasattr(self, f"on_{event}")
        ):
            # An unknown event is a frame of an unknown type: an error, and it counts.
            return super().trigger_event("message", args[0], {"type": event})
        return super().trigger_event(event, *args)

    def _sent_by_client(self, sid: str) -> bool:
        """python-socketio hands a client's event named "connect" or "disconnect" to the same
        handlers as the connection's own. The real connect comes before the connection has a
        peer; the real disconnect after the server has marked the connection as leaving."""
        return sid in self._peers and socketio.server.manager.is_connected(sid, self.namespace)

    # A frame is the first argument of an event; further arguments are ignored, like the
    # fields that a frame does not use.

    def on_message(self, data=None, *_):
        """A whole frame, `type` inside, as on the plain WebSocket (an object or its JSON)."""
        self._frame(None, data)

    def on_chat_message(self, data=None, *_):
        self._frame("chat_message", data)

    def on_edit_message(self, data=None, *_):
        self._frame("edit_message", data)

    def on_delete_message(self, data=None, *_):
        self._frame("delete_message", data)

    def on_typing(self, data=None, *_):
        self._frame("typing", data)

    def on_read(self, data=None, *_):
        self._frame("read", data)

    def on_ping(self, data=None, *_):
        self._frame("ping", data if data is not None else {})

    def _frame(self, kind: str | None, data) -> None:
        peer = self._peers.get(request.sid)
        if peer is None:
            return
        if kind is not None and not isinstance(data, RefusedFrame):
            # The event name is the type; anything but an object is not a frame.
            data = {**data, "type": kind} if isinstance(data, dict) else []
        reply = handle_frame(peer, data, gate=hub())
        if reply is not None:
            peer.send_frame(reply)


class DefaultNamespace(Namespace):
    """`/` carries nothing of the chat, but Socket.IO accepts connections to it unless
    told otherwise: it is open only to a valid access token, as `/chat` is."""

    def on_connect(self, auth=None):
        _authenticated(auth)


def _authenticated(auth) -> Identity:
    """The connecting user, noted for the access lines of the connection's session; a
    refusal is the connect's error."""
    try:
        identity = authenticate(_token(auth))
    except Refused as refused:
        raise ConnectionRefusedError(refused.reason, {"code": refused.code}) from None
    finally:
        db.session.remove()
    note_user(identity.user_id)
    return identity


def session_notes(environ: dict) -> dict | None:
    """The access notes of the Socket.IO session a request belongs to (its `sid`): those of
    the request that opened it, where the connect noted the user (request_log.RequestLog)."""
    if not environ.get("PATH_INFO", "").startswith(SOCKETIO_PATH) or socketio.server is None:
        return None
    sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid")
    session = socketio.server.environ.get(sid[0]) if sid else None
    return session.get(ENVIRON_NOTES) if session is not None else None


def _token(auth) -> str | None:
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"]
    return request_token()


def register_namespace() -> None:
    """Once per SocketIO object: Flask-SocketIO re-registers it with every app it serves."""
    registered = {handler.namespace for handler in socketio.namespace_handlers}
    if NAMESPACE not in registered:
        socketio.on_namespace(ChatNamespace(NAMESPACE))
    if "/" not in registered:
        socketio.on_namespace(DefaultNamespace("/"))
