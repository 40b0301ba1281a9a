"""SQLite enforces foreign keys (hard deletes cascade), and migrations still keep rows."""

import os
import shutil
import sqlite3
import subprocess
import sys

from sqlalchemy import create_engine, text

from tests.conftest import ROOT
from uzbekhub.common.db import enforce_sqlite_foreign_keys

RECREATE_USERS = """
from alembic import op
import sqlalchemy as sa

revision = "zz_recreate_users"
down_revision = "ec9ea06f5c01"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("scratch", sa.Integer(), nullable=True))


def downgrade():
    pass
"""


def flask_db(args, database_url, directory):
    env = {**os.environ, "DATABASE_URL": database_url, "ASYNC_MODE": "threading"}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args, "-d", str(directory)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sqlite_connections_enforce_foreign_keys(tmp_path):
    enforce_sqlite_foreign_keys()
    engine = create_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_a_batch_migration_that_recreates_a_table_keeps_the_rows_that_refer_to_it(tmp_path):
    migrations = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", migrations)
    database = tmp_path / "migrated.db"
    url = f"sqlite:///{database}"
    first = flask_db(["upgrade", "ec9ea06f5c01"], url, migrations)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO users (id, email, username, first_name, last_name, bio, is_private, "
            "is_active, is_staff, date_joined, token_version) "
            "VALUES (1, 'a@example.com', 'abcd', '', '', '', 0, 1, 0, '2024-01-01', 0)"
        )
        conn.execute(
            "INSERT INTO locations (owner_id, lat, long, created_at, update_at) "
            "VALUES (1, 41.3, 69.2, '2024-01-01', '2024-01-01')"
        )
    (migrations / "versions" / "zz_recreate_users.py").write_text(RECREATE_USERS)
    second = flask_db(["upgrade", "zz_recreate_users"], url, migrations)
    assert second.returncode == 0, second.stderr
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM locations").fetchone() == (1,)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
