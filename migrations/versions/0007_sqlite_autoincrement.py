"""AUTOINCREMENT on every integer-keyed table (SQLite)

SQLite hands the highest freed integer id out again unless a table is declared
AUTOINCREMENT: a deleted user's id went to the next sign-up, and whatever still
named it (a token, a link) named the new account. SQLite cannot alter a table's
key, so each table is rebuilt (batch mode) with its rows; the expression index
on usernames is not reflected by the rebuild and is made again. PostgreSQL's
sequences never reuse ids: nothing to do there.

Revision ID: 0007_sqlite_autoincrement
Revises: 0006_media_sizes
Create Date: 2026-12-03 12:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_sqlite_autoincrement'
down_revision = '0006_media_sizes'
branch_labels = None
depends_on = None

TABLES = (
    'users', 'locations', 'statuses', 'contacts', 'blocks', 'verification_codes',
    'password_reset_tokens', 'stories', 'story_views', 'story_reactions', 'public_comments',
    'chat_members', 'chat_files',
)


def _rebuild(autoincrement):
    if op.get_bind().dialect.name != 'sqlite':
        return
    for name in TABLES:
        with op.batch_alter_table(
            name, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
        ):
            pass
    op.execute('DROP INDEX IF EXISTS uq_users_username_lower')
    op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
