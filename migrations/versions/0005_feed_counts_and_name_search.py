"""keep post counts per owner; trigram index for user search on PostgreSQL

`post_counts` holds each user's number of active posts, kept by triggers on
`posts` (written here for PostgreSQL and SQLite) and filled from the existing
posts, so that the feed's `count` sums over users instead of counting posts.
A batch migration that recreates `posts` on SQLite drops its triggers: such a
migration must create them again. The trigger SQL is a copy of the one in
`uzbekhub/posts/models.py` (which `create_all` uses in tests) on purpose: a
migration must keep creating what it created then, whatever the model becomes.

On PostgreSQL only, a pg_trgm GIN index on username, first and last name serves
the user search's `ILIKE '%key%'` (SQLite scans the table).

Revision ID: 0005_feed_counts_search
Revises: 0004_chat
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_feed_counts_search'
down_revision = '0004_chat'
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION keep_post_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.is_active THEN
        UPDATE post_counts SET active_posts = active_posts - 1 WHERE owner_id = OLD.owner_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.is_active THEN
        INSERT INTO post_counts (owner_id, active_posts) VALUES (NEW.owner_id, 1)
        ON CONFLICT (owner_id) DO UPDATE SET active_posts = post_counts.active_posts + 1;
    END IF;
    RETURN NULL;
END
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER posts_keep_counts AFTER INSERT OR DELETE ON posts "
    "FOR EACH ROW EXECUTE FUNCTION keep_post_counts()",
    "CREATE TRIGGER posts_keep_counts_on_update AFTER UPDATE OF is_active, owner_id ON posts "
    "FOR EACH ROW WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active "
    "OR OLD.owner_id IS DISTINCT FROM NEW.owner_id) EXECUTE FUNCTION keep_post_counts()",
)
SQLITE_COUNT_UP = (
    "INSERT INTO post_counts (owner_id, active_posts) SELECT NEW.owner_id, 1 WHERE NEW.is_active "
    "ON CONFLICT (owner_id) DO UPDATE SET active_posts = active_posts + 1;"
)
SQLITE_COUNT_DOWN = (
    "UPDATE post_counts SET active_posts = active_posts - 1 "
    "WHERE OLD.is_active AND owner_id = OLD.owner_id;"
)
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER posts_keep_counts_on_insert AFTER INSERT ON posts BEGIN {SQLITE_COUNT_UP} END",
    f"CREATE TRIGGER posts_keep_counts_on_delete AFTER DELETE ON posts BEGIN {SQLITE_COUNT_DOWN} END",
    "CREATE TRIGGER posts_keep_counts_on_update AFTER UPDATE OF is_active, owner_id ON posts "
    "WHEN OLD.is_active IS NOT NEW.is_active OR OLD.owner_id IS NOT NEW.owner_id "
    f"BEGIN {SQLITE_COUNT_DOWN} {SQLITE_COUNT_UP} END",
)
NAMES = ('username', 'first_name', 'last_name')


def upgrade():
    op.create_table('post_counts',
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('active_posts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_post_counts_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('owner_id', name=op.f('pk_post_counts'))
    )
    op.execute(
        "INSERT INTO post_counts (owner_id, active_posts) "
        "SELECT owner_id, count(*) FROM posts WHERE is_active GROUP BY owner_id"
    )
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in (PG_FUNCTION, *PG_TRIGGERS) if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    if postgresql:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index(
            'ix_users_names_trgm', 'users', list(NAMES), unique=False,
            postgresql_using='gin', postgresql_ops={name: 'gin_trgm_ops' for name in NAMES},
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_users_names_trgm', table_name='users')
        op.execute('DROP TRIGGER posts_keep_counts_on_update ON posts')
        op.execute('DROP TRIGGER posts_keep_counts ON posts')
        op.execute('DROP FUNCTION keep_post_counts()')
    else:
        for name in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER posts_keep_counts_on_{name}')
    op.drop_table('post_counts')
