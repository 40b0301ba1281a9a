"""Notifications are groups of actors: "Ali and 3 others liked your post".

An actor row (`notification_actors`) is the fact "this user did this to that
target for that recipient"; the group row (`notifications`) is what the API
lists. Database triggers keep each group's `actor_count`, time (its latest
remaining actor's) and unread flag from its actor rows, so adding an actor is one
INSERT whatever the group's size, and undoing one is one DELETE, also when a
cascade does it. A group whose actors are all gone stays with `actor_count = 0`
and is hidden; it comes back, unread, with its next actor.

`actor_count` and `created_at` count every actor row; the API shows and counts only the
actors the recipient may see now (`services.visible_actors`), and dates and orders a group
by the latest of those (`services.shown_times`): who may see whom changes without
touching these rows (an actor goes private, is deactivated...).
"""

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from uzbekhub.accounts.models import user_fk
from uzbekhub.common.db import UTCDateTime, UUIDType, create_triggers_after, utcnow
from uzbekhub.extensions import db

TYPES = (
    "post_liked",
    "post_commented",
    "comment_replied",
    "mentioned",
    "story_reacted",
    "story_marked",
    "contact_added",
    "group_added",
    "role_changed",
)
PUSH_SUBSCRIPTIONS_MAX = 10


class TargetMixin:
    """The object a notification is about; deleting it deletes its notifications."""

    post_id: Mapped[uuid.UUID | None] = mapped_column(
        UUIDType, ForeignKey("posts.id", ondelete="CASCADE")
    )
    comment_id: Mapped[uuid.UUID | None] = mapped_column(
        UUIDType, ForeignKey("post_comments.id", ondelete="CASCADE")
    )
    story_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("stories.id", ondelete="CASCADE")
    )
    room_id: Mapped[uuid.UUID | None] = mapped_column(
        UUIDType, ForeignKey("chat_rooms.id", ondelete="CASCADE")
    )


class Notification(TargetMixin, db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("recipient_id", "type", "target_key"),
        # The list: a user's notifications, newest first.
        Index("ix_notifications_recipient_id_created_at", "recipient_id", "created_at"),
        Index("ix_notifications_post_id", "post_id"),
        Index("ix_notifications_comment_id", "comment_id"),
        Index("ix_notifications_story_id", "story_id"),
        Index("ix_notifications_room_id", "room_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(user_fk())
    type: Mapped[str] = mapped_column(String(20))
    # What groups notifications of one type: "post:<id>", "comment:<id>", "story:<id>",
    # "room:<id>", or "user" for those about the recipient themself.
    target_key: Mapped[str] = mapped_column(String(64))
    actor_count: Mapped[int] = mapped_column(Integer, default=0)
    is_read: Mapped[bool] = mapped_column(Boolean, default=False)
    # When its latest actor acted, hidden or not: not what the API shows (`shown_times`).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post = relationship("Post", lazy="raise_on_sql")
    comment = relationship("PostComment", lazy="raise_on_sql")
    story = relationship("Story", lazy="raise_on_sql")
    room = relationship("Room", lazy="raise_on_sql")


class NotificationActor(TargetMixin, db.Model):
    __tablename__ = "notification_actors"
    __table_args__ = (
        UniqueConstraint("recipient_id", "type", "target_key", "actor_id"),
        # A group's latest actors.
        Index(
            "ix_notification_actors_group_created_at",
            "recipient_id",
            "type",
            "target_key",
            "created_at",
        ),
        # Retraction by actor (blocks, removed contacts) and account-deletion cascades.
        Index("ix_notification_actors_actor_id", "actor_id"),
        Index("ix_notification_actors_post_id", "post_id"),
        Index("ix_notification_actors_comment_id", "comment_id"),
        Index("ix_notification_actors_story_id", "story_id"),
        Index("ix_notification_actors_room_id", "room_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(user_fk())
    type: Mapped[str] = mapped_column(String(20))
    target_key: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int] = mapped_column(user_fk())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationSetting(db.Model):
    """A type the user turned off (or on again); a type without a row is on."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(user_fk(), primary_key=True)
    type: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


class PushSubscription(db.Model):
    """A browser's PushSubscription (its endpoint and keys) for Web Push."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "endpoint"),
        CheckConstraint("length(endpoint) <= 2048", name="endpoint_length"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(user_fk())
    endpoint: Mapped[str] = mapped_column(Text)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- the triggers that keep the groups (also run by the migration) ----------------------------

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION keep_notification_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO notifications (recipient_id, type, target_key, post_id, comment_id,
                                   story_id, room_id, actor_count, is_read, created_at)
        VALUES (NEW.recipient_id, NEW.type, NEW.target_key, NEW.post_id, NEW.comment_id,
                NEW.story_id, NEW.room_id, 1, false, NEW.created_at)
        ON CONFLICT (recipient_id, type, target_key) DO UPDATE
        SET actor_count = notifications.actor_count + 1, is_read = false,
            created_at = EXCLUDED.created_at;
    ELSE
        UPDATE notifications SET actor_count = actor_count - 1,
            created_at = coalesce((
                SELECT max(created_at) FROM notification_actors
                WHERE recipient_id = OLD.recipient_id AND type = OLD.type
                  AND target_key = OLD.target_key), notifications.created_at)
        WHERE recipient_id = OLD.recipient_id AND type = OLD.type
          AND target_key = OLD.target_key;
    END IF;
    RETURN NULL;
END
$$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER notification_actors_keep_groups AFTER INSERT OR DELETE "
    "ON notification_actors FOR EACH ROW EXECUTE FUNCTION keep_notification_groups()",
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER notification_actors_keep_groups_on_insert AFTER INSERT "
    "ON notification_actors BEGIN "
    "INSERT INTO notifications (recipient_id, type, target_key, post_id, comment_id, "
    "story_id, room_id, actor_count, is_read, created_at) "
    "SELECT NEW.recipient_id, NEW.type, NEW.target_key, NEW.post_id, NEW.comment_id, "
    "NEW.story_id, NEW.room_id, 1, 0, NEW.created_at WHERE true "
    "ON CONFLICT (recipient_id, type, target_key) DO UPDATE "
    "SET actor_count = actor_count + 1, is_read = 0, created_at = excluded.created_at; END",
    "CREATE TRIGGER notification_actors_keep_groups_on_delete AFTER DELETE "
    "ON notification_actors BEGIN "
    "UPDATE notifications SET actor_count = actor_count - 1, "
    "created_at = coalesce((SELECT max(created_at) FROM notification_actors "
    "WHERE recipient_id = OLD.recipient_id AND type = OLD.type "
    "AND target_key = OLD.target_key), notifications.created_at) "
    "WHERE recipient_id = OLD.recipient_id AND type = OLD.type "
    "AND target_key = OLD.target_key; END",
)


BACKFILL_NOTIFICATION_GROUPS = (
    "INSERT INTO notifications (recipient_id, type, target_key, post_id, comment_id, story_id, "
    "room_id, actor_count, is_read, created_at) "
    "SELECT recipient_id, type, target_key, post_id, comment_id, story_id, room_id, count(*), "
    "false, max(created_at) FROM notification_actors "
    "GROUP BY recipient_id, type, target_key, post_id, comment_id, story_id, room_id"
)


create_triggers_after(
    "notification_actors", {"postgresql": (_PG_FUNCTION, *_PG_TRIGGERS), "sqlite": _SQLITE_TRIGGERS}
)
