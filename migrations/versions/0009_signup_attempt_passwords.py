"""each sign-up attempt's code carries its own password; no per-code guess count

A second sign-up of a pending address used to replace the account's password,
so whoever signed up last chose the password the owner's code activated. Now
every sign-up code carries the password of its own attempt. Codes pending at
the upgrade get the password their account holds now (the one they would have
activated). Wrong guesses are counted per user, purpose and client address
instead of per code (`attempts`), so that others' guesses cannot kill the
owner's code.

The rebuild of the table on SQLite must ask for AUTOINCREMENT again (0007):
batch mode does not carry it over.

Revision ID: 0009_signup_attempts
Revises: 0008_token_sessions
Create Date: 2026-12-03 12:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_signup_attempts'
down_revision = '0008_token_sessions'
branch_labels = None
depends_on = None

AUTOINCREMENT = {'sqlite_autoincrement': True}


def upgrade():
    with op.batch_alter_table('verification_codes', table_kwargs=AUTOINCREMENT) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
        batch_op.drop_column('attempts')
    op.execute(
        "UPDATE verification_codes SET password_hash = "
        "(SELECT users.password_hash FROM users WHERE users.id = verification_codes.user_id) "
        "WHERE purpose = 'signup'"
    )


def downgrade():
    with op.batch_alter_table('verification_codes', table_kwargs=AUTOINCREMENT) as batch_op:
        batch_op.add_column(
            sa.Column('attempts', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.drop_column('password_hash')
