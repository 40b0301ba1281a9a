"""revocation time of blocklisted tokens and sessions

Tokens now carry a session id, and a rotated refresh token that comes back
after the retry window ends its session: the blocklist keeps when each entry
was revoked. Existing entries name tokens of the previous format, which are
refused as malformed anyway, so they are dropped rather than given a made-up
time.

Revision ID: 0008_token_sessions
Revises: 0007_sqlite_autoincrement
Create Date: 2026-12-03 12:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_token_sessions'
down_revision = '0007_sqlite_autoincrement'
branch_labels = None
depends_on = None


def upgrade():
    op.execute('DELETE FROM revoked_tokens')
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False))


def downgrade():
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
