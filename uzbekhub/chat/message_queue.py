"""Flask-SocketIO's message queue, subscribed before a connection is taken.

python-socketio's Redis manager subscribes lazily, from a background task it starts on
the process's first Engine.IO connection, and does not wait for Redis to confirm: that
connection could be told it is connected before the process heard the channel, and miss
an event another process committed right after. This manager says when Redis has
confirmed the subscription; `subscribe` starts it and waits for that before the server
takes connections (and a first connection that comes another way waits too).
"""

import logging
import threading

import socketio

from uzbekhub.chat.delivery import LISTEN_TIMEOUT

log = logging.getLogger(__name__)


class SubscribedRedisManager(socketio.RedisManager):
    def __init__(self, url: str, channel: str):
        super().__init__(url, channel=channel)
        self.subscribed = threading.Event()

    def initialize(self) -> None:
        super().initialize()
        if not self.subscribed.wait(LISTEN_TIMEOUT):
            log.error("not subscribed to %s yet: Socket.IO events may be missed", self.channel)

    def _redis_connect(self) -> None:
        super()._redis_connect()
        # Redis's confirmation of the subscription is what `subscribed` waits for.
        self.pubsub = self.redis.pubsub()

    def _listen(self):
        channel = self.channel.encode()
        for message in self._redis_listen_with_retries():
            if message["type"] == "subscribe":
                self.subscribed.set()
            elif message["type"] == "message" and message["channel"] == channel:
                yield message["data"]


def subscribe(server: socketio.Server) -> None:
    """Subscribe this process to the queue now, rather than on its first connection."""
    if isinstance(server.manager, SubscribedRedisManager) and not server.manager_initialized:
        server.manager_initialized = True
        server.manager.initialize()
