"""PostgreSQL connections that waited in the pool are checked before use; busy ones are not.

A connection PostgreSQL dropped (a restart, a failover, an administrator, a proxy's idle
timeout) fails on its next use. A read is then run once more (`UzbekHub.dispatch_request`),
but a write is not, since its request may already have done things outside the database:
it would answer 503. Pinging at every checkout would cost a round trip per request under
load; pinging only a connection that sat in the pool for `IDLE_PING_SECONDS` costs nothing
while the server is busy and catches what happened to the database while it was quiet.
"""

import time

import psycopg2
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

IDLE_PING_SECONDS = 1.0
_CHECKED_IN_AT = "uzbekhub_checked_in_at"


def _note_checkin(dbapi_connection, connection_record) -> None:
    if connection_record is not None:
        connection_record.info[_CHECKED_IN_AT] = time.monotonic()


def _ping_if_idle(dbapi_connection, connection_record, connection_proxy) -> None:
    if not isinstance(dbapi_connection, psycopg2.extensions.connection):
        return
    checked_in_at = connection_record.info.get(_CHECKED_IN_AT)
    if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_PING_SECONDS:
        return
    autocommit = dbapi_connection.autocommit
    try:
        # Outside a transaction: the ping neither sends BEGIN nor leaves one open.
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except psycopg2.Error as exc:
        # The pool replaces the connection with a new one and hands that out instead.
        raise DisconnectionError(f"a pooled connection was dropped: {exc}") from exc


def ping_idle_connections() -> None:
    if not event.contains(Pool, "checkout", _ping_if_idle):
        event.listen(Pool, "checkin", _note_checkin)
        event.listen(Pool, "checkout", _ping_if_idle)
