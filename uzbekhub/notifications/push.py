"""Web Push (RFC 8030) of notifications, encrypted (RFC 8291) and signed with VAPID (RFC 8292).

A subscription's endpoint is a URL the browser's push service gave it, and the server
posts to it: an endpoint is only accepted, and only posted to, when it is `https://` and
every address its host resolves to is public (no requests into the server's own network).
`WEBPUSH_ALLOW_HTTP` (refused in production) lifts both rules for local push services.
Redirects are never followed.
"""

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

import orjson
import requests
from flask import current_app
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, func, select
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import User
from uzbekhub.errors import ServiceUnavailable, invalid
from uzbekhub.extensions import db
from uzbekhub.notifications.models import PUSH_SUBSCRIPTIONS_MAX, PushSubscription

log = logging.getLogger(__name__)

GONE = (404, 410)
PUSH_OFF = "Web Push is not configured on this server."


def enabled() -> bool:
    config = current_app.config
    return all(
        config.get(name) for name in ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "VAPID_SUBJECT")
    )


def require_enabled() -> None:
    if not enabled():
        raise ServiceUnavailable(PUSH_OFF)


def public_key() -> str:
    return current_app.config["VAPID_PUBLIC_KEY"]


# --- where the server may post ------------------------------------------------------------------


def endpoint_problem(url: str) -> str | None:
    """Why the server must not post to `url`, or None."""
    allow_http = current_app.config["WEBPUSH_ALLOW_HTTP"]
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        return "The endpoint must be an https:// URL."
    if parts.username or parts.password:
        return "The endpoint must not carry credentials."
    if allow_http:
        return None
    try:
        port = parts.port or 443
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port)}
    except (OSError, ValueError, UnicodeError):
        return "The endpoint's host does not resolve."
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            return "The endpoint must be a public address."
    return None


class _NoRedirects(requests.Session):
    def request(self, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


# --- subscriptions ------------------------------------------------------------------------------


def subscribe(caller: User, data: dict) -> tuple[PushSubscription, bool]:
    """Save the browser's subscription (the same endpoint again updates its keys)."""
    problem = endpoint_problem(data["endpoint"])
    if problem:
        raise invalid("endpoint", problem)
    keys = data["keys"]
    existing = db.session.scalar(
        select(PushSubscription).where(
            PushSubscription.user_id == caller.id, PushSubscription.endpoint == data["endpoint"]
        )
    )
    if existing is not None:
        existing.p256dh, existing.auth = keys["p256dh"], keys["auth"]
        db.session.commit()
        return existing, False
    owned = db.session.scalar(select(func.count()).where(PushSubscription.user_id == caller.id))
    if owned >= PUSH_SUBSCRIPTIONS_MAX:
        raise invalid(
            "endpoint",
            f"At most {PUSH_SUBSCRIPTIONS_MAX} push subscriptions: delete one first.",
        )
    subscription = PushSubscription(
        user_id=caller.id, endpoint=data["endpoint"], p256dh=keys["p256dh"], auth=keys["auth"]
    )
    db.session.add(subscription)
    db.session.commit()
    return subscription, True


def unsubscribe(caller: User, endpoint: str) -> None:
    gone = db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == caller.id, PushSubscription.endpoint == endpoint
        )
    )
    if gone.rowcount != 1:
        raise NotFound()
    db.session.commit()


# --- sending ------------------------------------------------------------------------------------


def send(user_id: int, payload: dict) -> None:
    """Post `payload` to each of the user's subscriptions; forget those the service says are
    gone. Runs after the commit, away from any request (`uzbekhub.notifications.live`)."""
    config = current_app.config
    data = orjson.dumps(payload).decode()
    subscriptions = db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == user_id)
    ).all()
    gone = []
    with _NoRedirects() as session:
        for subscription in subscriptions:
            problem = endpoint_problem(subscription.endpoint)
            if problem:
                log.warning("push subscription %s not used: %s", subscription.id, problem)
                continue
            try:
                webpush(
                    {
                        "endpoint": subscription.endpoint,
                        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                    },
                    data,
                    vapid_private_key=config["VAPID_PRIVATE_KEY"],
                    vapid_claims={"sub": config["VAPID_SUBJECT"]},
                    ttl=config["WEBPUSH_TTL"],
                    timeout=config["WEBPUSH_TIMEOUT"],
                    requests_session=session,
                )
            except WebPushException as error:
                status = error.response.status_code if error.response is not None else None
                if status in GONE:
                    gone.append(subscription.id)
                else:
                    log.warning("push to subscription %s failed: %s", subscription.id, error)
            except (requests.RequestException, ValueError) as error:
                log.warning("push to subscription %s failed: %s", subscription.id, error)
    if gone:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        db.session.commit()
