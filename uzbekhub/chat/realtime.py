"""Wiring of the real-time chat (README, "Real-time chat"): both transports, delivery,
revocations, and the graceful stop that `wsgi.py` calls."""

from flask import Flask, current_app

from uzbekhub.accounts.tokens import Revocation, on_revocation
from uzbekhub.chat import ws
from uzbekhub.chat.delivery import HUB_KEY, Hub, hub
from uzbekhub.chat.events import bus
from uzbekhub.chat.message_queue import SubscribedRedisManager
from uzbekhub.chat.namespace import StrictPacket, emit_chat_event, register_namespace
from uzbekhub.common.redis import channel_name
from uzbekhub.extensions import sock, socketio


def socketio_options(config) -> dict:
    """Flask-SocketIO's options: its message queue (Redis by default, subscribed before the
    server takes connections; tests turn it off with SOCKETIO_MESSAGE_QUEUE=None, as its
    test client requires), the largest message it reads, like the plain WebSocket's, and
    the strict reader of payloads."""
    queue = config.get("SOCKETIO_MESSAGE_QUEUE", config.get("REDIS_URL"))
    options = {
        "max_http_buffer_size": config["CHAT_SOCKET_MAX_BYTES"],
        "serializer": StrictPacket,
    }
    if queue:
        options["client_manager"] = SubscribedRedisManager(
            queue, channel=channel_name(queue, "socketio")
        )
    return options


def register_realtime(app: Flask) -> None:
    app.config["SOCK_SERVER_OPTIONS"] = ws.socket_options(app.config)
    ws.register_heartbeat(app)
    app.register_blueprint(ws.blp)
    sock.init_app(app)
    register_namespace()
    # One client's events are handled one at a time, in order (as on the plain
    # WebSocket): two messages sent back to back are committed in the order sent.
    socketio.server.async_handlers = False
    socketio.server.eio.async_handlers = False
    app.extensions[HUB_KEY] = realtime = Hub(app)
    events = bus(app)
    events.subscribe(emit_chat_event)
    events.subscribe(realtime.publish_event)
    on_revocation(_revoked)


def _revoked(revocation: Revocation) -> None:
    realtime = current_app.extensions.get(HUB_KEY)
    if realtime is not None:
        realtime.revoke(revocation)


def shutdown(app: Flask) -> None:
    """Stop real-time traffic gracefully: frames in progress finish (a message is committed
    before it is acknowledged), then every connection is closed."""
    hub(app).shutdown(app.config["SHUTDOWN_TIMEOUT"])
    # Anything still connected to Engine.IO (another namespace, a half-open poll).
    socketio.server.eio.disconnect()
