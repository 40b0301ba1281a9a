"""notifications: groups kept from their actors by triggers, settings, push subscriptions

`notification_actors` holds who did what to which target for whom; `notifications`
holds the groups that the API lists, with `actor_count`, the latest time and the
unread flag kept by triggers on `notification_actors` (written here for PostgreSQL and
SQLite), so that adding an actor to a group is one INSERT whatever the group's size.
Integer-keyed tables are AUTOINCREMENT on SQLite (see 0007): a client may hold a
notification's id. The trigger SQL is a copy of the one in `uzbekhub/notifications/models.py` (which
`create_all` uses in tests) on purpose: a migration must keep creating what it created
then, whatever the model becomes. A batch migration that recreates
`notification_actors` on SQLite drops its triggers and must create them again.

Revision ID: 0010_notifications
Revises: 0009_signup_attempts
Create Date: 2026-12-03 12:25:09.319354

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_notifications'
down_revision = '0009_signup_attempts'
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
        UPDATE notifications SET actor_count = actor_count - 1
        WHERE recipient_id = OLD.recipient_id AND type = OLD.type
          AND target_key = OLD.target_key;
    END IF;
    RETURN NULL;
END
$$
"""
PG_TRIGGERS = (
    'CREATE TRIGGER notification_actors_keep_groups AFTER INSERT OR DELETE ON notification_actors FOR EACH ROW EXECUTE FUNCTION keep_notification_groups()',
)
SQLITE_TRIGGERS = (
    'CREATE TRIGGER notification_actors_keep_groups_on_insert AFTER INSERT ON notification_actors BEGIN INSERT INTO notifications (recipient_id, type, target_key, post_id, comment_id, story_id, room_id, actor_count, is_read, created_at) SELECT NEW.recipient_id, NEW.type, NEW.target_key, NEW.post_id, NEW.comment_id, NEW.story_id, NEW.room_id, 1, 0, NEW.created_at WHERE true ON CONFLICT (recipient_id, type, target_key) DO UPDATE SET actor_count = actor_count + 1, is_read = 0, created_at = excluded.created_at; END',
    'CREATE TRIGGER notification_actors_keep_groups_on_delete AFTER DELETE ON notification_actors BEGIN UPDATE notifications SET actor_count = actor_count - 1 WHERE recipient_id = OLD.recipient_id AND type = OLD.type AND target_key = OLD.target_key; END',
)


def upgrade():
    op.create_table('notification_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'type', name=op.f('pk_notification_settings'))
    )

    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(endpoint) <= 2048', name=op.f('ck_push_subscriptions_endpoint_length')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('user_id', 'endpoint', name=op.f('uq_push_subscriptions_user_id_endpoint')),
    sqlite_autoincrement=True
    )

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('target_key', sa.String(length=64), nullable=False),
    sa.Column('actor_count', sa.Integer(), nullable=False),
    sa.Column('is_read', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('post_id', sa.Uuid(), nullable=True),
    sa.Column('comment_id', sa.Uuid(), nullable=True),
    sa.Column('story_id', sa.Integer(), nullable=True),
    sa.Column('room_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['post_comments.id'], name=op.f('fk_notifications_comment_id_post_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_notifications_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_notifications_recipient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['chat_rooms.id'], name=op.f('fk_notifications_room_id_chat_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_notifications_story_id_stories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('recipient_id', 'type', 'target_key', name=op.f('uq_notifications_recipient_id_type_target_key')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_comment_id', ['comment_id'], unique=False)
        batch_op.create_index('ix_notifications_post_id', ['post_id'], unique=False)
        batch_op.create_index('ix_notifications_recipient_id_created_at', ['recipient_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notifications_room_id', ['room_id'], unique=False)
        batch_op.create_index('ix_notifications_story_id', ['story_id'], unique=False)

    op.create_table('notification_actors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('target_key', sa.String(length=64), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('post_id', sa.Uuid(), nullable=True),
    sa.Column('comment_id', sa.Uuid(), nullable=True),
    sa.Column('story_id', sa.Integer(), nullable=True),
    sa.Column('room_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notification_actors_actor_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['comment_id'], ['post_comments.id'], name=op.f('fk_notification_actors_comment_id_post_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_notification_actors_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_notification_actors_recipient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['chat_rooms.id'], name=op.f('fk_notification_actors_room_id_chat_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_notification_actors_story_id_stories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_actors')),
    sa.UniqueConstraint('recipient_id', 'type', 'target_key', 'actor_id', name=op.f('uq_notification_actors_recipient_id_type_target_key_actor_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('notification_actors', schema=None) as batch_op:
        batch_op.create_index('ix_notification_actors_actor_id', ['actor_id'], unique=False)
        batch_op.create_index('ix_notification_actors_comment_id', ['comment_id'], unique=False)
        batch_op.create_index('ix_notification_actors_group_created_at', ['recipient_id', 'type', 'target_key', 'created_at'], unique=False)
        batch_op.create_index('ix_notification_actors_post_id', ['post_id'], unique=False)
        batch_op.create_index('ix_notification_actors_room_id', ['room_id'], unique=False)
        batch_op.create_index('ix_notification_actors_story_id', ['story_id'], unique=False)

    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in (PG_FUNCTION, *PG_TRIGGERS) if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER notification_actors_keep_groups ON notification_actors')
        op.execute('DROP FUNCTION keep_notification_groups()')
    else:
        for name in ('insert', 'delete'):
            op.execute(f'DROP TRIGGER notification_actors_keep_groups_on_{name}')
    with op.batch_alter_table('notification_actors', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_actors_story_id')
        batch_op.drop_index('ix_notification_actors_room_id')
        batch_op.drop_index('ix_notification_actors_post_id')
        batch_op.drop_index('ix_notification_actors_group_created_at')
        batch_op.drop_index('ix_notification_actors_comment_id')
        batch_op.drop_index('ix_notification_actors_actor_id')

    op.drop_table('notification_actors')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_story_id')
        batch_op.drop_index('ix_notifications_room_id')
        batch_op.drop_index('ix_notifications_recipient_id_created_at')
        batch_op.drop_index('ix_notifications_post_id')
        batch_op.drop_index('ix_notifications_comment_id')

    op.drop_table('notifications')
    op.drop_table('push_subscriptions')
    op.drop_table('notification_settings')
