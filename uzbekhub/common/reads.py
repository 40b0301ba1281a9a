"""Hot reads without a transaction's round trips.

Before a session's first statement psycopg2 sends BEGIN, a round trip of its own, and the
end of the request sends ROLLBACK: two of a short read's round trips that do nothing for
it. `untransacted()` gives a read-only service a pooled connection in autocommit, which
sends neither. Switching autocommit on and off costs no round trip, and the pool switches
it off when the connection comes back (SQLAlchemy resets an isolation level set by
`execution_options`), so whoever uses the connection next, writes included, is in a
transaction as before.
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
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection
