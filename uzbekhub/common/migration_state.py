"""Whether the database is migrated to the head revision of migrations/versions."""

from functools import cache
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@cache
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def schema_is_at_head(connection: Connection) -> bool:
    """The revisions the database is stamped with are the scripts' heads (none: not migrated)."""
    current = MigrationContext.configure(connection).get_current_heads()
    return frozenset(current) == head_revisions()
