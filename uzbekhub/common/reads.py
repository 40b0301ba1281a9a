"""Hot reads without a transaction's round trips.

Before a session's first statement psycopg2 sends BEGIN, a round trip of its own, and the
end of the request sends ROLLBACK: two of a short read's round trips that do nothing for
it. `untransacted()` gives a read-only service a pooled connection in autocommit, which
sends neither, and switches autocommit off before the connection goes back, so whoever
uses it next, writes included, is in a transaction as before.

It sets psycopg2's `autocommit` itself rather than SQLAlchemy's AUTOCOMMIT isolation level:
that one calls `set_isolation_level`, which on a green connection (psycogreen, as
`python wsgi.py` runs) sends `SET default_transaction_isolation` each way, two round trips
more than the ones saved.

On that connection each statement runs as a prepared statement (`PreparedReader`):
psycopg2 sends every statement as text, which PostgreSQL plans anew each time, and the
hot reads' plans took longer than running them (the feed: ~2 ms of planning for ~1 ms of
execution). Each connection prepares a statement at its first use, in the round trip
that executes it, and plans it once: sessions keep one generic plan for a prepared
statement (`plan_cache_mode`, set where the engine's options are), since left to choose
PostgreSQL kept planning the feed anew at every execution.
"""

import itertools
import re
from collections import namedtuple
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Connection, Executable, Result, bindparam, column, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from uzbekhub.extensions import db

_PREPARED_HERE = "uzbekhub_prepared"
# A bound parameter as psycopg2's paramstyle writes it, or a percent sign it doubled.
_PYFORMAT = re.compile(r"%%|%\((\w+)\)s")
_names = (f"uzbekhub_read_{number}" for number in itertools.count(1))


@contextmanager
def untransacted() -> Iterator["PreparedReader | Session"]:
    """What a read-only service executes its statements on (`execute`, `scalar`).

    On PostgreSQL, a connection in autocommit: each statement sees what is committed when
    it starts, as in the READ COMMITTED transaction it replaces. The request's session
    instead when it has a transaction open (the read must see the request's own writes),
    and on SQLite, whose driver sends no BEGIN before a SELECT anyway.
    """
    session = db.session()
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or session.in_transaction():
        yield session
        return
    with bind.connect() as connection:
        driver_connection = connection.connection.dbapi_connection
        driver_connection.autocommit = True
        try:
            yield PreparedReader(connection)
        finally:
            if not driver_connection.closed:  # a dropped connection is not pooled again
                driver_connection.autocommit = False


def named_rows(result: Result) -> list[tuple]:
    """The result's rows as named tuples, read by the same attribute names.

    SQLAlchemy's `Row` answers an attribute in ~300 ns, a named tuple in ~15, and the hot
    reads shape a dozen attributes of each of up to a hundred rows: a search page spent a
    fifth of its time there.
    """
    return list(map(_row_type(tuple(result.keys()))._make, result))


@cache
def _row_type(names: tuple[str, ...]) -> type:
    """One class per statement's columns: the statements are built once, so these are few."""
    return namedtuple("HotRow", names)


@dataclass(frozen=True)
class _Prepared:
    name: str
    # Both typed as the statement's columns, with its parameters:
    first_use: TextClause  # PREPARE name AS the statement; EXECUTE name(...), one round trip
    execute: TextClause  # EXECUTE name(...)


class PreparedReader:
    """`execute` and `scalar` as on a connection, each statement prepared on it once."""

    _statements: dict[int, tuple[Executable, _Prepared]] = {}

    def __init__(self, connection: Connection):
        self.connection = connection

    def execute(self, statement: Executable, parameters: Mapping | None = None) -> Result:
        return self.connection.execute(self._prepared(statement), parameters)

    def scalar(self, statement: Executable, parameters: Mapping | None = None):
        return self.execute(statement, parameters).scalar()

    def _prepared(self, statement: Executable) -> TextClause:
        known = self._statements.get(id(statement))
        if known is None or known[0] is not statement:
            known = self._statements[id(statement)] = (statement, self._prepare(statement))
        prepared = known[1]
        here = self.connection.info.setdefault(_PREPARED_HERE, set())
        if prepared.name in here:
            return prepared.execute
        # A PREPARE outlives a failing EXECUTE sent with it; a dropped connection, whose
        # info goes with it, is the only way it is not made.
        here.add(prepared.name)
        return prepared.first_use

    def _prepare(self, statement: Executable) -> _Prepared:
        """Statements are built once (module-level caches), so this runs once for each."""
        compiled = statement.compile(dialect=self.connection.dialect)
        order: list[str] = []

        def numbered(match: re.Match) -> str:
            name = match.group(1)
            if name is None:
                return "%"  # text() doubles it again for psycopg2
            if name not in order:
                order.append(name)
            return f"${order.index(name) + 1}"

        body = _PYFORMAT.sub(numbered, compiled.string)
        name = next(_names)
        binds = [
            bindparam(key, compiled.binds[key].value, type_=compiled.binds[key].type)
            for key in order
        ]
        arguments = f"({', '.join(f':{key}' for key in order)})" if order else ""
        call = f"EXECUTE {name}{arguments}"

        def typed(sql: str) -> TextClause:
            return text(sql).bindparams(*binds).columns(*_result_columns(statement))

        return _Prepared(name, typed(f"PREPARE {name} AS {body}; {call}"), typed(call))


def _result_columns(statement: Executable) -> list:
    """The statement's columns by name and type, for rows typed as its own would be (an
    unnamed expression is only reachable by position)."""
    return [
        column(getattr(selected, "name", None) or f"column_{position}", selected.type)
        for position, selected in enumerate(statement.selected_columns, 1)
    ]
