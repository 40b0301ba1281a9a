"""keep the active posts of public users in public_post_totals, for the feed's count

`public_post_totals` holds, in 16 rows by owner id % 16, the active posts of users who are
active and not private, kept by triggers on `post_counts` (its changes) and on `users`
(publicity changes, and deletions counted before the row goes), written here for
PostgreSQL and SQLite, and filled from the existing counts. The feed's `count` then starts
from it and corrects only for the caller's blocks and the users who added the caller,
instead of summing over every user. A batch migration that recreates `post_counts` or
`users` on SQLite drops their triggers: such a migration must create them again. As in
0005, the SQL is a copy of the model's (uzbekhub/posts/models.py) on purpose.

Revision ID: 0012_public_post_totals
Revises: 0011_notification_group_times
Create Date: 2026-12-03 21:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_public_post_totals'
down_revision = '0011_notification_group_times'
branch_labels = None
depends_on = None

PG_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION add_public_posts(owner integer, posts integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public_post_totals (shard, active_posts) VALUES (mod(owner, 16), posts)
    ON CONFLICT (shard) DO UPDATE
    SET active_posts = public_post_totals.active_posts + EXCLUDED.active_posts;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION add_posts_if_public(owner integer, posts integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    public boolean;
BEGIN
    SELECT is_active AND NOT is_private INTO public FROM users WHERE id = owner FOR SHARE;
    IF public AND posts <> 0 THEN
        PERFORM add_public_posts(owner, posts);
    END IF;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION keep_public_post_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.owner_id = NEW.owner_id THEN
        PERFORM add_posts_if_public(NEW.owner_id, NEW.active_posts - OLD.active_posts);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM add_posts_if_public(OLD.owner_id, -OLD.active_posts);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM add_posts_if_public(NEW.owner_id, NEW.active_posts);
    END IF;
    RETURN NULL;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION keep_public_post_totals_of_user() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    posts integer;
BEGIN
    SELECT active_posts INTO posts FROM post_counts WHERE owner_id = OLD.id;
    IF posts <> 0 THEN
        IF TG_OP = 'UPDATE' AND NEW.is_active AND NOT NEW.is_private THEN
            PERFORM add_public_posts(OLD.id, posts);
        ELSE
            PERFORM add_public_posts(OLD.id, -posts);
        END IF;
    END IF;
    RETURN OLD;
END
$$
""",
)
PG_TRIGGERS = (
    'CREATE TRIGGER post_counts_keep_public_totals AFTER INSERT OR DELETE ON post_counts FOR EACH ROW EXECUTE FUNCTION keep_public_post_totals()',
    'CREATE TRIGGER post_counts_keep_public_totals_on_update AFTER UPDATE OF active_posts, owner_id ON post_counts FOR EACH ROW WHEN (OLD.active_posts IS DISTINCT FROM NEW.active_posts OR OLD.owner_id IS DISTINCT FROM NEW.owner_id) EXECUTE FUNCTION keep_public_post_totals()',
    'CREATE TRIGGER users_keep_public_post_totals_on_update AFTER UPDATE OF is_active, is_private ON users FOR EACH ROW WHEN ((OLD.is_active AND NOT OLD.is_private) IS DISTINCT FROM (NEW.is_active AND NOT NEW.is_private)) EXECUTE FUNCTION keep_public_post_totals_of_user()',
    'CREATE TRIGGER users_keep_public_post_totals_on_delete BEFORE DELETE ON users FOR EACH ROW WHEN (OLD.is_active AND NOT OLD.is_private) EXECUTE FUNCTION keep_public_post_totals_of_user()',
)
SQLITE_TRIGGERS = (
    'CREATE TRIGGER post_counts_keep_public_totals_on_insert AFTER INSERT ON post_counts BEGIN INSERT INTO public_post_totals (shard, active_posts) SELECT NEW.owner_id % 16, NEW.active_posts FROM users WHERE id = NEW.owner_id AND is_active AND NOT is_private ON CONFLICT (shard) DO UPDATE SET active_posts = active_posts + excluded.active_posts; END',
    'CREATE TRIGGER post_counts_keep_public_totals_on_delete AFTER DELETE ON post_counts BEGIN INSERT INTO public_post_totals (shard, active_posts) SELECT OLD.owner_id % 16, -OLD.active_posts FROM users WHERE id = OLD.owner_id AND is_active AND NOT is_private ON CONFLICT (shard) DO UPDATE SET active_posts = active_posts + excluded.active_posts; END',
    'CREATE TRIGGER post_counts_keep_public_totals_on_update AFTER UPDATE OF active_posts, owner_id ON post_counts WHEN OLD.active_posts IS NOT NEW.active_posts OR OLD.owner_id IS NOT NEW.owner_id BEGIN INSERT INTO public_post_totals (shard, active_posts) SELECT OLD.owner_id % 16, -OLD.active_posts FROM users WHERE id = OLD.owner_id AND is_active AND NOT is_private ON CONFLICT (shard) DO UPDATE SET active_posts = active_posts + excluded.active_posts; INSERT INTO public_post_totals (shard, active_posts) SELECT NEW.owner_id % 16, NEW.active_posts FROM users WHERE id = NEW.owner_id AND is_active AND NOT is_private ON CONFLICT (shard) DO UPDATE SET active_posts = active_posts + excluded.active_posts; END',
    'CREATE TRIGGER users_keep_public_post_totals_on_update AFTER UPDATE OF is_active, is_private ON users WHEN (OLD.is_active AND NOT OLD.is_private) IS NOT (NEW.is_active AND NOT NEW.is_private) BEGIN INSERT INTO public_post_totals (shard, active_posts) SELECT OLD.id % 16, CASE WHEN NEW.is_active AND NOT NEW.is_private THEN 1 ELSE -1 END * active_posts FROM post_counts WHERE owner_id = OLD.id ON CONFLICT (shard) DO UPDATE SET active_posts = active_posts + excluded.active_posts; END',
    'CREATE TRIGGER users_keep_public_post_totals_on_delete BEFORE DELETE ON users WHEN OLD.is_active AND NOT OLD.is_private BEGIN INSERT INTO public_post_totals (shard, active_posts) SELECT OLD.id % 16, -active_posts FROM post_counts WHERE owner_id = OLD.id ON CONFLICT (shard) DO UPDATE SET active_posts = active_posts + excluded.active_posts; END',
)
BACKFILL = (
    'INSERT INTO public_post_totals (shard, active_posts) SELECT post_counts.owner_id % 16, sum(post_counts.active_posts) FROM post_counts JOIN users ON users.id = post_counts.owner_id WHERE users.is_active AND NOT users.is_private GROUP BY post_counts.owner_id % 16'
)
PG_TRIGGERS_ON = {
    'post_counts_keep_public_totals': 'post_counts',
    'post_counts_keep_public_totals_on_update': 'post_counts',
    'users_keep_public_post_totals_on_update': 'users',
    'users_keep_public_post_totals_on_delete': 'users',
}
PG_FUNCTIONS_DROPPED = (
    'keep_public_post_totals_of_user()', 'keep_public_post_totals()',
    'add_posts_if_public(integer, integer)', 'add_public_posts(integer, integer)',
)
SQLITE_TRIGGER_NAMES = (
    'post_counts_keep_public_totals_on_insert', 'post_counts_keep_public_totals_on_delete',
    'post_counts_keep_public_totals_on_update', 'users_keep_public_post_totals_on_update',
    'users_keep_public_post_totals_on_delete',
)


def upgrade():
    op.create_table('public_post_totals',
    sa.Column('shard', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('active_posts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('shard', name=op.f('pk_public_post_totals'))
    )
    op.execute(BACKFILL)
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in (*PG_FUNCTIONS, *PG_TRIGGERS) if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name, table in PG_TRIGGERS_ON.items():
            op.execute(f'DROP TRIGGER {name} ON {table}')
        for function in PG_FUNCTIONS_DROPPED:
            op.execute(f'DROP FUNCTION {function}')
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f'DROP TRIGGER {name}')
    op.drop_table('public_post_totals')
