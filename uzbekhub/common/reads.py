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
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from uzbekhub.extensions import db


@contextmanager
def untransacted() -> Iterator[Connection | Session]:
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
            yield connection
        finally:
            if not driver_connection.closed:  # a dropped connection is not pooled again
                driver_connection.autocommit = False
