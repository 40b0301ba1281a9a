"""The shared Redis connection, when REDIS_URL is configured."""

import redis
from flask import Flask, current_app


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
