"""Notifications announced after their commit: events on the user's sockets, Web Push when
the user has none open.

A transaction hands what it changed to the process's `Notifier`, which works through
the changes in order, in a thread of its own: the request that caused them never waits
for the events or for a push service. Events travel the chat's delivery (both
transports, every process), addressed to the user rather than to a room.
"""

import logging
import queue
import threading

from flask import Flask, request

from uzbekhub.chat.delivery import hub
from uzbekhub.chat.events import publish_to_user
from uzbekhub.extensions import db, socketio
from uzbekhub.notifications import push, services
from uzbekhub.notifications.schemas import NotificationSchema
from uzbekhub.notifications.services import NOTIFIER_KEY, Changes

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, app: Flask):
        self.app = app
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._started = False

    def submit(self, changes: Changes) -> None:
        """Called after the commit, in the request: the host it answers on makes media URLs."""
        base_url = request.host_url if request else None
        with self._lock:
            start = not self._started
            self._started = True
        if start:
            socketio.start_background_task(self._run)
        self._queue.put((base_url, changes))

    def wait_idle(self) -> None:
        """Until every change submitted so far is announced (tests, graceful stops)."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            base_url, changes = self._queue.get()
            try:
                with self.app.test_request_context(base_url=base_url or "http://localhost/"):
                    try:
                        announce(changes)
                    finally:
                        db.session.remove()
            except Exception:
                log.exception("announcing notifications failed")
            finally:
                self._queue.task_done()


def announce(changes: Changes) -> None:
    schema = NotificationSchema()
    for recipient_id in sorted(changes.counts):
        events, pushed = [], []
        changed = {
            (kind, key): added
            for (user_id, kind, key), added in changes.groups.items()
            if user_id == recipient_id
        }
        shown, count = services.shown_groups(recipient_id, changed)
        for (kind, key), added in changed.items():
            group = shown.get((kind, key))
            if group is not None:
                event = {"type": "notification", "notification": schema.dump(group)}
                events.append(event)
                if added:
                    pushed.append(event)
                continue
            gone = services.group_id(recipient_id, kind, key)
            if gone is not None:
                events.append({"type": "notification_removed", "id": gone})
        for user_id, notification_id in sorted(changes.removed):
            if user_id == recipient_id:
                events.append({"type": "notification_removed", "id": notification_id})
        events.append({"type": "notification_count", "unread_count": count})
        for event in events:
            publish_to_user(recipient_id, event)
        if pushed and push.enabled() and not hub().is_online(recipient_id):
            for event in pushed:
                push.send(recipient_id, {**event, "unread_count": count})


def register_notifier(app: Flask) -> None:
    app.extensions[NOTIFIER_KEY] = Notifier(app)
