"""Column types and helpers shared by every domain's models."""

import logging
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, TypeDecorator, Uuid, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from uzbekhub.errors import invalid
from uzbekhub.extensions import db

log = logging.getLogger(__name__)


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
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UUIDType = Uuid(as_uuid=True)


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


_AFTER_COMMIT = "after_commit_callbacks"


def after_commit(session, callback: Callable[[], None]) -> None:
    """Run `callback` once `session`'s current transaction commits; never if it rolls back.

    Callbacks announce what the transaction did (they may not use the session).
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:
            # The change is committed: a failed announcement must not fail the request.
            log.exception("after-commit callback %r failed", callback)


def _forget_after_commit(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)


def register_after_commit() -> None:
    if not event.contains(Session, "after_commit", _run_after_commit):
        event.listen(Session, "after_commit", _run_after_commit)
        event.listen(Session, "after_transaction_end", _forget_after_commit)


def flush_or_refuse(field: str, message: str) -> None:
    """Flush pending changes; when a unique constraint refuses them (a concurrent duplicate
    included), roll back and answer 400 on `field`."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise invalid(field, message) from None


def insert_with_conflicts(model):
    """An `INSERT` into `model` that takes ON CONFLICT clauses (`on_conflict_do_nothing`,
    `on_conflict_do_update`), in the dialect of the session's database."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
