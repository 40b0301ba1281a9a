"""Whether the database has the application's tables: a never-migrated database is told
apart from one that cannot be reached, by the error path and by readiness checks."""

from sqlalchemy import Engine, MetaData, inspect

NOT_MIGRATED = "the database schema is not migrated: run `flask db upgrade`"


def missing_tables(engine: Engine, metadata: MetaData) -> list[str]:
    """The tables of `metadata` (the models') that the database lacks."""
    present = set(inspect(engine).get_table_names())
    return [table.name for table in metadata.sorted_tables if table.name not in present]


def schema_is_migrated(engine: Engine, metadata: MetaData) -> bool:
    """False for a database that `flask db upgrade` never ran on (or that lost tables);
    raises SQLAlchemy's OperationalError when the database cannot be reached."""
    return not missing_tables(engine, metadata)
