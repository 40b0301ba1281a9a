"""notifications: a retraction moves a group's time back to its latest remaining actor

The delete half of the triggers that keep `notifications` from `notification_actors`
now also sets the group's `created_at` to the newest actor row left (one index probe on
`ix_notification_actors_group_created_at`). As in 0010, the SQL is a copy on purpose:
a migration keeps creating what it created then, whatever the model becomes.

Revision ID: 0011_notification_group_times
Revises: 0010_notifications
Create Date: 2026-12-03 15:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_notification_group_times'
down_revision = '0010_notifications'
branch_labels = None
depends_on = None

PG_FUNCTION = """
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
PG_FUNCTION_0010 = """
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
        UPDATE notifications SET actor_count = actor_count - 1
        WHERE recipient_id = OLD.recipient_id AND type = OLD.type
          AND target_key = OLD.target_key;
    END IF;
    RETURN NULL;
END
$$
"""
SQLITE_DELETE_TRIGGER = 'CREATE TRIGGER notification_actors_keep_groups_on_delete AFTER DELETE ON notification_actors BEGIN UPDATE notifications SET actor_count = actor_count - 1, created_at = coalesce((SELECT max(created_at) FROM notification_actors WHERE recipient_id = OLD.recipient_id AND type = OLD.type AND target_key = OLD.target_key), notifications.created_at) WHERE recipient_id = OLD.recipient_id AND type = OLD.type AND target_key = OLD.target_key; END'
SQLITE_DELETE_TRIGGER_0010 = 'CREATE TRIGGER notification_actors_keep_groups_on_delete AFTER DELETE ON notification_actors BEGIN UPDATE notifications SET actor_count = actor_count - 1 WHERE recipient_id = OLD.recipient_id AND type = OLD.type AND target_key = OLD.target_key; END'


def _replace(pg_function, sqlite_trigger):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(pg_function)
    else:
        op.execute('DROP TRIGGER notification_actors_keep_groups_on_delete')
        op.execute(sqlite_trigger)


def upgrade():
    _replace(PG_FUNCTION, SQLITE_DELETE_TRIGGER)


def downgrade():
    _replace(PG_FUNCTION_0010, SQLITE_DELETE_TRIGGER_0010)
