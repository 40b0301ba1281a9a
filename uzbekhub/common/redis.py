"""The shared Redis connection, when REDIS_URL is configured."""

import logging
from collections.abc import Callable
from contextlib import suppress

import redis
from flask import Flask, current_app
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# How long one wait for a message lasts; the loop then waits again (and notices a dead link).
LISTEN_TIMEOUT = 5.0


def redis_client() -> redis.Redis | None:
    return current_app.extensions.get("redis")


def register_redis(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        app.extensions["redis"] = redis.Redis.from_url(
            url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
        )


def channel_name(redis_url: str, suffix: str) -> str:
    """Pub/sub channels ignore Redis database numbers: name the database in the channel,
    so that deployments (or test runs) sharing a server on different databases stay apart."""
    db = redis.connection.parse_url(redis_url).get("db", 0)
    return f"uzbekhub:{db}:{suffix}"


def listen_forever(
    url: str,
    channel: str,
    on_message: Callable[[bytes], None],
    on_subscribed: Callable[[], None],
    on_lost: Callable[[float], None],
) -> None:
    """Holds a subscription to `channel` for the life of the process (run it as a background
    task). `on_subscribed` runs when Redis confirms the subscription, again after every
    reconnection; `on_lost(seconds)` when the link fails, before waiting that long (0.5 s,
    doubling up to 5 s) to reconnect."""
    from uzbekhub.extensions import socketio  # noqa: PLC0415 (extensions import the domains)

    backoff = 0.5
    while True:
        pubsub = None
        try:
            client = redis.Redis.from_url(
                url, socket_connect_timeout=2, socket_keepalive=True, health_check_interval=30
            )
            pubsub = client.pubsub()
            pubsub.subscribe(channel)
            while True:
                message = pubsub.get_message(timeout=LISTEN_TIMEOUT)
                if message is None:
                    continue
                if message["type"] == "message":
                    on_message(message["data"])
                elif message["type"] == "subscribe":
                    on_subscribed()
                    backoff = 0.5
        except RedisError:
            on_lost(backoff)
        finally:
            if pubsub is not None:
                with suppress(RedisError):
                    pubsub.close()
        socketio.sleep(backoff)
        backoff = min(backoff * 2, 5.0)
