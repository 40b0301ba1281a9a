"""Notifications API: the list, the unread count, reading, removing, settings, Web Push."""

from functools import wraps

from flask.views import MethodView

from uzbekhub.accounts.caller import caller_state, current_user
from uzbekhub.common.pagination import page_envelope
from uzbekhub.common.smorest import Blueprint
from uzbekhub.notifications import push, services
from uzbekhub.notifications.schemas import (
    MarkReadSchema,
    NotificationPageSchema,
    NotificationQueryArgsSchema,
    NotificationSettingsSchema,
    PushKeySchema,
    PushSubscriptionSchema,
    PushUnsubscribeSchema,
    UnreadCountSchema,
)

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/notifications",
    description=(
        "Notifications, grouped per type and target. Undoing the cause takes its actor out (an "
        "unlike, a deleted comment or account, a mention edited out); actors the caller may no "
        "longer see are neither shown nor counted, and a notification left with none is not "
        "listed. Every change is also an event on the "
        "user's sockets (the plain WebSocket `/ws/chat/` and Socket.IO `/chat`): "
        '`{"type": "notification", "notification": {...}}` when one is created or regrouped, '
        '`{"type": "notification_removed", "id": n}`, then '
        '`{"type": "notification_count", "unread_count": n}`. A user with no socket open gets '
        "new ones by Web Push (see the push endpoints)."
    ),
)

push_off = blp.answers(503, description="Web Push is not configured")


def push_configured(view):
    """503 before anything else while Web Push is off (no VAPID keys)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        push.require_enabled()
        return view(*args, **kwargs)

    return wrapper


@blp.route("/")
class NotificationViews(MethodView):
    @blp.signed_in(200, NotificationPageSchema, query=NotificationQueryArgsSchema)
    def get(self, args):
        """The caller's notifications, newest first, grouped by type and target"""
        stmt = services.listing(caller_state().id, args)
        return page_envelope(stmt, args, services.with_actors(caller_state().id))


@blp.route("/unread_count/")
class UnreadCountView(MethodView):
    @blp.signed_in(200, UnreadCountSchema)
    def get(self):
        """How many of the caller's notifications are unread"""
        return {"unread_count": services.unread_count(caller_state().id)}


@blp.route("/read/")
class MarkReadView(MethodView):
    @blp.signed_in(200, UnreadCountSchema, json=MarkReadSchema)
    def post(self, data):
        """Mark notifications read: the ones named by `ids`, or `all`"""
        return {"unread_count": services.mark_read(current_user, data)}


@blp.route("/<int:notification_id>/")
class NotificationByIdView(MethodView):
    @blp.signed_in(204)
    def delete(self, notification_id):
        """Remove a notification"""
        services.delete_notification(current_user, notification_id)


@blp.route("/settings/")
class SettingsView(MethodView):
    @blp.signed_in(200, NotificationSettingsSchema)
    def get(self):
        """Which types of notification the caller receives (all by default)"""
        return services.settings_of(caller_state().id)

    @blp.signed_in(200, NotificationSettingsSchema, json=NotificationSettingsSchema)
    def patch(self, changes):
        """Turn types on or off; a type that is off is not created"""
        return services.change_settings(caller_state().id, changes)


@blp.route("/push/key/")
class PushKeyView(MethodView):
    @blp.signed_in(200, PushKeySchema, checks=[push_configured])
    @push_off
    def get(self):
        """The VAPID public key for `pushManager.subscribe({applicationServerKey})`"""
        return {"public_key": push.public_key()}


@blp.route("/push/subscriptions/")
class PushSubscriptionViews(MethodView):
    @blp.signed_in(
        201, PushSubscriptionSchema, checks=[push_configured], json=PushSubscriptionSchema
    )
    @blp.alt_response(200, schema=PushSubscriptionSchema, description="Already subscribed")
    @push_off
    def post(self, data):
        """Subscribe this browser to Web Push (at most 10 per user)"""
        subscription, created = push.subscribe(current_user, data)
        return subscription, 201 if created else 200

    @blp.signed_in(204, checks=[push_configured], json=PushUnsubscribeSchema)
    @blp.answers(404, description="The caller has no subscription with this endpoint")
    @push_off
    def delete(self, data):
        """Unsubscribe a browser (by its endpoint)"""
        push.unsubscribe(current_user, data["endpoint"])
