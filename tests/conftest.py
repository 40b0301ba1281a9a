"""Fixtures shared by the whole suite.

The suite runs on SQLite by default and on PostgreSQL/Redis when DATABASE_URL /
REDIS_URL point at them. Mail goes to a real SMTP server (aiosmtpd) on loopback.
"""

import math
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from config import normalise_database_url
from tests.support.factories import make_account as create_account
from tests.support.google import GoogleKeys
from tests.support.push_service import VapidKeys
from tests.support.s3 import moto_server
from tests.support.smtp import MailCatcher
from uzbekhub import create_app
from uzbekhub.accounts.token_state import token_states
from uzbekhub.chat.namespace import NAMESPACE
from uzbekhub.common import pool
from uzbekhub.common.redis import redis_client
from uzbekhub.common.schema_state import MIGRATIONS
from uzbekhub.common.storage import EXTENSION_KEY as STORAGE_KEY
from uzbekhub.common.storage import create_storage
from uzbekhub.dev_mail import forget_all
from uzbekhub.extensions import db, limiter, socketio

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mail_catcher():
    catcher = MailCatcher(port=free_port())
    catcher.start()
    yield catcher
    catcher.stop()


@pytest.fixture(scope="session")
def test_paths(tmp_path_factory):
    base = tmp_path_factory.mktemp("uzbekhub")
    return {"base": base, "media": base / "media", "sqlite": base / "test.db"}


@pytest.fixture(scope="session")
def database_url(test_paths) -> str:
    return normalise_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{test_paths['sqlite']}"
    )


@pytest.fixture(scope="session")
def vapid_keys() -> VapidKeys:
    return VapidKeys.generate()


@pytest.fixture(scope="session")
def app_overrides(test_paths, database_url, mail_catcher, google_keys, vapid_keys) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ASYNC_MODE": "threading",
        # Initialised enabled so that its hooks exist; switched off below, on per test.
        "RATELIMIT_ENABLED": True,
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 8,
        "MEDIA_ROOT": str(test_paths["media"]),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mail_catcher.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_SUPPRESS_SEND": False,
        "GOOGLE_CLIENT_ID": "uzbekhub-test-client",
        "GOOGLE_JWKS_URL": google_keys.url,
        # Flask-SocketIO's test client cannot work with a message queue; live servers
        # (tests/realtime) use Redis as the queue when REDIS_URL is set.
        "SOCKETIO_MESSAGE_QUEUE": None,
        # Web Push on, as a deployment would have it (tests/notifications sends to a local
        # push service); the endpoints answer 503 without it.
        "VAPID_PRIVATE_KEY": vapid_keys.private,
        "VAPID_PUBLIC_KEY": vapid_keys.public,
        "VAPID_SUBJECT": "mailto:ops@uzbekhub.example",
    }


@pytest.fixture(scope="session")
def app(app_overrides):
    app = create_app(app_overrides)
    limiter.enabled = False
    with app.app_context():
        db.drop_all()
        db.create_all()
        # create_all built the head's schema: record it, as `flask db upgrade` would (not
        # through migrations/env.py, whose logging setup would disable the loggers).
        with db.engine.begin() as connection:
            MigrationContext.configure(connection).stamp(ScriptDirectory(MIGRATIONS), "heads")
        # Subscribed to other processes' changes before the first test: the token states
        # are cached from a user's first request on.
        states = token_states(app)
        if states.listener is not None:
            states.listener.ensure_started()
            states.listener.subscribed.wait(10)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
        client = redis_client()
        if client is not None:
            client.flushdb()
        # Ids start again at 1 in the next test, which a deployment never does.
        token_states(app).clear()


@pytest.fixture(autouse=True)
def _isolation(app, mail_catcher):
    """Every test starts with empty tables, an empty mailbox and fresh throttles."""
    mail_catcher.clear()
    forget_all(app)
    limiter.reset()
    yield
    _empty_tables(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def throttled(app):
    """Turn rate limiting on for one test."""
    limiter.enabled = True
    limiter.reset()
    yield
    limiter.enabled = False
    limiter.reset()


@contextmanager
def count_statements(app):
    """Count the SQL statements this thread issues inside the block (what a request costs;
    announcements after the commit run in a thread of their own)."""
    statements: list[str] = []
    thread = threading.get_ident()

    def record(conn, cursor, statement, *args):
        if threading.get_ident() == thread:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def busy_pool(monkeypatch):
    """No pooled connection counts as idle, so none is pinged before use (what the pool
    does under load), however long the test takes between its requests."""
    monkeypatch.setattr(pool, "IDLE_PING_SECONDS", math.inf)


@pytest.fixture
def statements(app):
    def counter():
        return count_statements(app)

    return counter


@contextmanager
def count_round_trips(app):
    """What this thread sends PostgreSQL inside the block, in order: each statement, and the
    BEGIN, COMMIT and ROLLBACK psycopg2 sends around them ("BEGIN" before a statement on a
    connection outside a transaction and not in autocommit; "COMMIT"/"ROLLBACK" when the
    connection is in a transaction: psycopg2 sends nothing otherwise)."""
    sent: list[str] = []
    thread = threading.get_ident()

    def in_transaction(conn) -> bool:
        status = conn.connection.dbapi_connection.info.transaction_status
        return status != psycopg2.extensions.TRANSACTION_STATUS_IDLE

    def statement(conn, cursor, text, *args):
        if threading.get_ident() == thread:
            dbapi = conn.connection.dbapi_connection
            if not dbapi.autocommit and not in_transaction(conn):
                sent.append("BEGIN")
            sent.append(text)

    def ending(word):
        def record(conn):
            if threading.get_ident() == thread and in_transaction(conn):
                sent.append(word)

        return record

    with app.app_context():
        engine = db.engine
    listeners = [
        ("before_cursor_execute", statement),
        ("commit", ending("COMMIT")),
        ("rollback", ending("ROLLBACK")),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield sent
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


@pytest.fixture
def round_trips(app):
    def counter():
        return count_round_trips(app)

    return counter


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log_path: Path


@contextmanager
def run_wsgi(app_overrides, test_paths, mail_catcher, **extra_env):
    """`python wsgi.py` under eventlet on the test database and Redis, on a free port unless
    PORT is given."""
    port = int(extra_env.pop("PORT", 0)) or free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app_overrides["SQLALCHEMY_DATABASE_URI"],
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "ASYNC_MODE": "eventlet",
        "MEDIA_ROOT": str(test_paths["media"]),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_catcher.port),
        "RATELIMIT_ENABLED": "false",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "8",
        "LOG_LEVEL": "INFO",
        # Every test starts ids again at 1, which a deployment never does: a server that
        # outlives a test must not remember its users' token states.
        "TOKEN_STATE_TTL_SECONDS": "0",
        **extra_env,
    }
    log_path = test_paths["base"] / f"live-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "wsgi.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(port, proc, log_path)
        yield Server(f"http://127.0.0.1:{port}", proc, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def live_server(app, app_overrides, test_paths, mail_catcher):
    """`python wsgi.py` under eventlet, on the test database, for tests that need a real socket."""
    with run_wsgi(app_overrides, test_paths, mail_catcher) as server:
        yield server.url


def wait_for_port(port: int, proc: subprocess.Popen, log_path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port}:\n{log_path.read_text()}")


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A brand-new database of the suite's kind, for running migrations from nothing."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url = make_url(database_url)
    name = f"uzbekhub_migrations_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database
    )
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def issued_codes(monkeypatch):
    """`issued_codes("11111", "22222")`: the mailed 5-digit codes, in order, instead of random
    ones, so that a test of a replaced code never meets a new code equal to the old."""

    def pin(*codes: str) -> None:
        remaining = iter(codes)
        monkeypatch.setattr("uzbekhub.accounts.codes.new_code", lambda: next(remaining))

    return pin


@pytest.fixture
def make_account(app):
    def make(email=None, **fields):
        return create_account(app, email, **fields)

    return make


@pytest.fixture
def sio(app):
    """Flask-SocketIO test clients on /chat: `sio(account)` or `sio(token=...)`."""
    clients = []

    def connect(account=None, token=None, **kwargs):
        auth = {"token": token if token is not None else account.access}
        client = socketio.test_client(app, namespace=NAMESPACE, auth=auth, **kwargs)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        if client.is_connected(NAMESPACE):
            client.disconnect(namespace=NAMESPACE)


@pytest.fixture
def alice(make_account):
    return make_account("alice@example.com", first_name="Alice", last_name="Karimova")


@pytest.fixture
def bob(make_account):
    return make_account("bob@example.com", first_name="Bob", last_name="Usmonov")


@pytest.fixture(scope="session")
def moto(test_paths):
    """moto's standalone S3 server (moto[server]), for the whole session."""
    with moto_server(free_port(), test_paths["base"] / "moto.log") as server:
        yield server


@pytest.fixture
def s3_media(app, moto):
    """The app's media storage is a fresh bucket on moto's server for one test
    (MEDIA_STORAGE=s3); yields the bucket's name."""
    bucket = moto.new_bucket()
    settings = moto.settings(bucket)
    saved_storage = app.extensions[STORAGE_KEY]
    saved_config = {key: app.config[key] for key in settings}
    app.config.update(settings)
    app.extensions[STORAGE_KEY] = create_storage(app.config)
    yield bucket
    app.config.update(saved_config)
    app.extensions[STORAGE_KEY] = saved_storage


@pytest.fixture(params=["local", "s3"])
def each_storage(request):
    """Runs a test once on the local disk and once on moto's S3 server: modules whose media
    tests must hold on both use it (`pytestmark = pytest.mark.usefixtures("each_storage")`)."""
    if request.param == "s3":
        request.getfixturevalue("s3_media")
    return request.param


@pytest.fixture(scope="session")
def google_keys():
    keys = GoogleKeys()
    yield keys
    keys.stop()
