"""What PostgreSQL does to clients' connections, done to the test database's."""

import psycopg2


def drop_connections(database_url: str) -> int:
    """End every other connection to the database, as a restart or an administrator does;
    how many there were."""
    dsn = database_url.replace("postgresql+psycopg2://", "postgresql://")
    killer = psycopg2.connect(dsn)
    try:
        with killer.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0]
    finally:
        killer.close()
