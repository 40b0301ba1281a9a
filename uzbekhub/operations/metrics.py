"""`GET /metrics` in Prometheus' text format, for this process.

Each process answers for itself (no multiprocess mode): `python wsgi.py` processes are
independent and may run on different hosts, so Prometheus scrapes every process at its own
address, not through the load balancer. Off unless METRICS_ENABLED; with METRICS_TOKEN set,
the scraper must send it as a bearer token.
"""

import hmac

from flask import Blueprint, Response, current_app, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from uzbekhub.errors import Unauthorized
from uzbekhub.extensions import limiter

# One registry per process: counters live as long as the process, whichever app counts.
REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "uzbekhub_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "uzbekhub_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_FANNED_OUT = Counter(
    "uzbekhub_chat_events_fanned_out",
    "Chat events this process handed to its plain WebSocket connections.",
    registry=REGISTRY,
)
FRAMES_DROPPED = Counter(
    "uzbekhub_chat_frames_dropped",
    "Frames for plain WebSocket connections discarded because the connection was dropped.",
    registry=REGISTRY,
)
SLOW_CONSUMERS = Counter(
    "uzbekhub_chat_slow_consumer_disconnects",
    "Plain WebSocket connections dropped because they did not read their frames.",
    registry=REGISTRY,
)
# Long-lived requests (WebSockets, Socket.IO's long-polling) are counted, not timed.
UNTIMED_ROUTES = ("/socket.io/", "/ws/")

blp = Blueprint("metrics", __name__)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    if not route.startswith(UNTIMED_ROUTES):
        LATENCY.labels(route, method).observe(seconds)


class LiveState:
    """Gauges read when scraped: open sockets and the database pool of the scraped app."""

    def collect(self):
        from uzbekhub.chat.delivery import hub
        from uzbekhub.chat.namespace import SocketIOPeer
        from uzbekhub.extensions import db

        sockets = GaugeMetricFamily(
            "uzbekhub_open_sockets", "Open chat connections, by transport.", labels=["transport"]
        )
        peers = hub().all_peers()
        socketio_peers = sum(isinstance(peer, SocketIOPeer) for peer in peers)
        sockets.add_metric(["socketio"], socketio_peers)
        sockets.add_metric(["websocket"], len(peers) - socketio_peers)
        yield sockets

        pool = db.engine.pool
        for name, reading, text in (
            ("checked_out", "checkedout", "Database connections in use."),
            ("overflow", "overflow", "Database connections open beyond the pool's size."),
        ):
            if hasattr(pool, reading):
                yield GaugeMetricFamily(
                    f"uzbekhub_db_pool_{name}", text, value=max(0, getattr(pool, reading)())
                )


REGISTRY.register(LiveState())


@blp.get("/metrics")
@limiter.exempt
def metrics():
    """Registered only with METRICS_ENABLED: otherwise /metrics is no route (404)."""
    expected = current_app.config["METRICS_TOKEN"]
    if expected:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {expected}".encode()):
            raise Unauthorized()
    return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
