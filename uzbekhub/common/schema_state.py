"""Whether the database has the application's tables: a never-migrated database is told
apart from one that cannot be reached, by the error path and by readiness checks; and
whether it is migrated to the head revision of migrations/versions (readiness, /readyz)."""

from functools import cache
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

NOT_MIGRATED = "the database schema is not migrated: run `flask db upgrade`"


def missing_tables(engine: Engine, metadata: MetaData) -> list[str]:
    """The tables of `metadata` (the models') that the database lacks."""
    present = set(inspect(engine).get_table_names())
    return [table.name for table in metadata.sorted_tables if table.name not in present]


def schema_is_migrated(engine: Engine, metadata: MetaData) -> bool:
    """False for a database that `flask db upgrade` never ran on (or that lost tables);
    raises SQLAlchemy's OperationalError when the database cannot be reached."""
    return not missing_tables(engine, metadata)


@cache
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def schema_is_at_head(connection: Connection) -> bool:
    """The revisions the database is stamped with are the scripts' heads (none: not migrated,
    an older one: this release's migration has not run yet)."""
    current = MigrationContext.configure(connection).get_current_heads()
    return frozenset(current) == head_revisions()
