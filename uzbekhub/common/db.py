"""Column types and helpers shared by every domain's models."""

import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import JSON, DateTime, Engine, Integer, MetaData, Table, TypeDecorator, Uuid, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.functions import FunctionElement

from uzbekhub.errors import invalid
from uzbekhub.extensions import db

log = logging.getLogger(__name__)


# Ids are 32-bit integers on every backend: a larger number names nothing (and must not reach
# the database driver, which overflows).
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    """A stored datetime in UTC: SQLite's are naive (and UTC), PostgreSQL's carry an offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UUIDType = Uuid(as_uuid=True)


class json_rows(FunctionElement):
    """SQL: a JSON array of one JSON array of `columns` per row (`[]` without rows), for a
    correlated subquery that brings a row's children along in one statement. The elements
    come in no particular order (SQLite before 3.44 cannot order an aggregate), and as
    JSON writes them: UUIDs and datetimes as text, in each database's own format."""

    type = JSON()
    inherit_cache = True


def json_datetime(text: str) -> datetime:
    """A datetime of a `json_rows` element (each database writes its own format), in UTC."""
    return as_utc(datetime.fromisoformat(text))


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw) -> str:
    return f"coalesce(json_agg(json_build_array({compiler.process(element.clauses, **kw)})), '[]')"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element, compiler, **kw) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


def render_migration_type(type_, obj, autogen_context):
    """Write our column types into migrations as the plain SQLAlchemy types they store."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _sqlite_foreign_keys_on(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def enforce_sqlite_foreign_keys() -> None:
    """SQLite ignores foreign keys (and so ON DELETE CASCADE) unless each connection asks."""
    if not event.contains(Engine, "connect", _sqlite_foreign_keys_on):
        event.listen(Engine, "connect", _sqlite_foreign_keys_on)


def never_reuse_ids(metadata: MetaData) -> None:
    """AUTOINCREMENT on every table keyed by a generated integer.

    Without it SQLite hands the highest freed id out again, and whatever still names the
    deleted row (a token, a link, a client's cache) would name the next one. PostgreSQL's
    sequences never go back.
    """
    for table in generated_integer_keyed(metadata):
        table.dialect_options["sqlite"]["autoincrement"] = True


def generated_integer_keyed(metadata: MetaData) -> list[Table]:
    """The tables keyed by one integer the database makes up."""
    return [
        table
        for table in metadata.tables.values()
        if len(table.primary_key.columns) == 1
        and _generated_integer(next(iter(table.primary_key.columns)))
    ]


def _generated_integer(column) -> bool:
    """An integer key the database makes up: not a reference, not given (autoincrement=False)."""
    return (
        isinstance(column.type, Integer)
        and column.autoincrement is not False
        and not column.foreign_keys
    )


def create_triggers_after(table_name: str, by_dialect: dict[str, tuple[str, ...]]) -> None:
    """`create_all` (the tests) builds the triggers on `table_name` that its migration builds.

    `by_dialect` maps a dialect's name to its DDL; a database of another dialect is refused
    rather than left without the triggers that keep derived rows right.
    """

    def create(metadata, connection, tables=(), **kwargs) -> None:
        if not any(table.name == table_name for table in tables):
            return
        dialect = connection.dialect.name
        if dialect not in by_dialect:
            raise NotImplementedError(f"{table_name} has no triggers for {dialect}")
        for statement in by_dialect[dialect]:
            connection.exec_driver_sql(statement)

    event.listen(db.metadata, "after_create", create)


T = TypeVar("T")

_AFTER_COMMIT = "after_commit_callbacks"
_GATHERED = "gathered_until_commit"


def after_commit(session, callback: Callable[[], None]) -> None:
    """Run `callback` once `session`'s current transaction commits; never if it rolls back.

    Callbacks announce what the transaction did (they may not use the session).
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def gathered_until_commit(
    session, key: str, make: Callable[[], T], on_commit: Callable[[T], None]
) -> T:
    """What `session`'s current transaction gathers under `key` (made by `make` on first use),
    handed to `on_commit` once the transaction commits and dropped if it rolls back."""
    gathered = session.info.setdefault(_GATHERED, {})
    if key not in gathered:
        gathered[key] = make()
        after_commit(session, lambda: on_commit(gathered.pop(key)))
    return gathered[key]


def _run_after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint's commit (SQLAlchemy signals those too): all may still roll back
    for callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:
            # The change is committed: a failed announcement must not fail the request.
            log.exception("after-commit callback %r failed", callback)


def _forget_after_commit(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)
        session.info.pop(_GATHERED, None)


def register_after_commit() -> None:
    if not event.contains(Session, "after_commit", _run_after_commit):
        event.listen(Session, "after_commit", _run_after_commit)
        event.listen(Session, "after_transaction_end", _forget_after_commit)


# --- unique conflicts: the constraint decides, concurrent duplicates included -------------------


@dataclass
class Savepoint:
    error: IntegrityError | None = None

    @property
    def refused(self) -> bool:
        return self.error is not None


def _open_sqlite_transaction() -> None:
    """pysqlite opens a transaction only before INSERT, UPDATE or DELETE: a SAVEPOINT before
    any of them opens one of its own, and its RELEASE commits it, the request's later writes
    apart. Open the request's transaction first, so that the savepoint nests in it."""
    driver = db.session.connection().connection.driver_connection
    if isinstance(driver, sqlite3.Connection) and not driver.in_transaction:
        driver.execute("BEGIN")


@contextmanager
def unique_savepoint() -> Iterator[Savepoint]:
    """The block's writes go in a savepoint, flushed at its end. When a constraint refuses
    them, only they are undone and `refused` is True: the caller answers what exists (or
    raises `error` when nothing does)."""
    outcome = Savepoint()
    _open_sqlite_transaction()
    try:
        with db.session.begin_nested():
            yield outcome
    except IntegrityError as exc:
        outcome.error = exc


@contextmanager
def refuse_duplicate(field: str, message: str) -> Iterator[None]:
    """`unique_savepoint` for the usual answer: when a constraint refuses the block's writes,
    the request's transaction is rolled back (nothing half-written) and 400 on `field`."""
    with unique_savepoint() as saved:
        yield
    if saved.refused:
        db.session.rollback()
        raise invalid(field, message)


def dialect_name() -> str:
    """The session's database dialect: part of the key of a statement built once that
    depends on it (`insert_with_conflicts`)."""
    return db.session.get_bind().dialect.name


def insert_with_conflicts(model, dialect: str | None = None):
    """An `INSERT` into `model` that takes ON CONFLICT clauses (`on_conflict_do_nothing`,
    `on_conflict_do_update`), in `dialect` or that of the session's database."""
    dialect = dialect or dialect_name()
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def insert_once(model, **values):
    """Insert a row unless a unique constraint already holds one: the new row, or None.

    One statement (INSERT ... ON CONFLICT DO NOTHING), for a plain row whose duplicate needs
    no answer of its own; otherwise `unique_savepoint`.
    """
    return db.session.scalar(
        insert_with_conflicts(model).values(**values).on_conflict_do_nothing().returning(model)
    )
