"""Faults on the real server: a slow query, Redis and PostgreSQL going away and coming back.

The server under test is `python wsgi.py` (eventlet). Redis and PostgreSQL are processes this
module starts itself on loopback ports of its own, never the machine's shared services.
These tests need PostgreSQL and Redis: they run in CI's second pass (DATABASE_URL/REDIS_URL
set) and are skipped only on the plain SQLite run.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.realtime.support import wait_until
from tests.support.database import drop_connections
from tests.support.factories import PASSWORD
from tests.trust.live import call, free_port, start_server, stop, wait_for_port
from uzbekhub.accounts.tokens import issue_tokens
from uzbekhub.accounts.users import new_user
from uzbekhub.common.pool import IDLE_PING_SECONDS
from uzbekhub.extensions import db

ON_POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith("postgres")
needs_services = pytest.mark.skipif(
    not ON_POSTGRES and not os.environ.get("REDIS_URL"),
    reason="needs PostgreSQL and Redis: runs in CI's PostgreSQL + Redis pass",
)
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PROFILE = "/api/accounts/account/profile/"
COMMENTS = "/api/comments/comment"


def timed(method, url, body=None, headers=None):
    started = time.monotonic()
    status, answer = call(method, url, body, headers, timeout=15)
    return status, answer, time.monotonic() - started


# --- a slow query does not stall other requests ---------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="psycogreen makes PostgreSQL I/O green; SQLite is not")
def test_a_slow_query_does_not_stall_other_requests(app, live_server, alice, database_url):
    """A request whose query waits 3 s (on a lock held by pg_sleep) leaves the hub free."""
    dsn = database_url.replace("postgresql+psycopg2://", "postgresql://")
    holder = psycopg2.connect(dsn)
    locked = threading.Event()

    def hold_the_lock():
        with holder.cursor() as cursor:
            cursor.execute("LOCK TABLE public_comments IN ACCESS EXCLUSIVE MODE")
            locked.set()
            cursor.execute("SELECT pg_sleep(3)")
        holder.commit()

    slow_answer = {}

    def slow_request():
        slow_answer["result"] = timed("GET", f"{live_server}{COMMENTS}")

    sleeper = threading.Thread(target=hold_the_lock)
    sleeper.start()
    assert locked.wait(10)
    slow = threading.Thread(target=slow_request)
    slow.start()
    time.sleep(0.3)  # the slow request is waiting inside PostgreSQL now
    try:
        fast = [timed("GET", f"{live_server}{PROFILE}", headers=alice.headers) for _ in range(5)]
        docs = timed("GET", f"{live_server}/openapi.json")
    finally:
        sleeper.join(15)
        slow.join(15)
        holder.close()
    # Other requests, database queries included, went on while the slow one waited.
    assert all(status == 200 and took < 1 for status, _, took in fast), fast
    assert docs[0] == 200 and docs[2] < 1, docs
    status, _, took = slow_answer["result"]
    assert status == 200 and took >= 2.5  # it did wait for the lock, then answered


# --- Redis goes away and comes back ---------------------------------------------------------


class RedisServer:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, proc=self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@needs_services
def test_redis_going_away_gives_503s_then_recovers_by_itself(
    app, alice, own_redis, app_overrides, test_paths
):
    env = {
        "DATABASE_URL": app_overrides["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": own_redis.url,
        "MEDIA_ROOT": str(test_paths["media"]),
        "RATELIMIT_ENABLED": "true",
        "THROTTLE_SIGNIN": "1000/minute",
        "THROTTLE_SIGNIN_ACCOUNT": "5/minute",
    }
    server, url = start_server(env, test_paths["base"] / "redis-fault.log")
    try:
        auth = alice.headers
        assert call("GET", f"{url}{PROFILE}", headers=auth)[0] == 200

        own_redis.stop()
        # Tokens are checked against the blocklist in Redis: refused as unavailable, quickly.
        status, body, took = timed("GET", f"{url}{PROFILE}", headers=auth)
        assert (status, set(body)) == (503, {"error"}) and took < 5
        status, body, took = timed(
            "POST", f"{url}/api/accounts/auth/token/refresh/", {"refresh": alice.refresh}
        )
        assert status == 503 and took < 5
        # What needs no Redis goes on; the throttles count in memory meanwhile.
        assert timed("GET", f"{url}{COMMENTS}")[0] == 200
        wrong = {"email": alice.email, "password": "wrong-password"}
        statuses = [call("POST", f"{url}/api/accounts/auth/signin/", wrong)[0] for _ in range(6)]
        assert statuses == [400] * 5 + [429]

        own_redis.start()
        assert wait_until(lambda: call("GET", f"{url}{PROFILE}", headers=auth)[0] == 200, 30, 0.5)
        status, pair = call(
            "POST", f"{url}/api/accounts/auth/token/refresh/", {"refresh": alice.refresh}
        )
        assert status == 200 and pair["access"]
    finally:
        stop(server)


# --- PostgreSQL goes away and comes back ----------------------------------------------------


class PostgresCluster:
    """A throwaway cluster (initdb) on a port of its own; run as `postgres` when we are root."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="uzbekhub-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def own_postgres():
    cluster = PostgresCluster()
    cluster.init()
    cluster.start()
    yield cluster
    cluster.remove()


def account_in(app, cluster: PostgresCluster) -> dict:
    """The schema and one active user in the cluster; the user's Authorization header."""
    engine = sa.create_engine(cluster.url.replace("postgresql://", "postgresql+psycopg2://"))
    try:
        db.metadata.create_all(engine)
        with app.app_context():
            user = new_user("faults@example.com", PASSWORD, is_active=True)
            with Session(engine, expire_on_commit=False) as session:
                session.add(user)
                session.commit()
            return {"Authorization": f"Bearer {issue_tokens(user)['access']}"}
    finally:
        engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL ends the pool's connections")
@pytest.mark.usefixtures("busy_pool")
def test_a_read_on_connections_the_database_dropped_is_answered(app, client, alice, database_url):
    """Busy connections are not pinged before use: the first use of a dropped one
    invalidates the pool, and the read runs once more on a new connection."""
    for _ in range(3):
        assert client.get(PROFILE, headers=alice.headers).status_code == 200
    assert drop_connections(database_url) >= 1
    answer = client.get(PROFILE, headers=alice.headers)
    assert answer.status_code == 200, answer.get_json()


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL ends the pool's connections")
def test_a_write_after_the_database_dropped_idle_connections_is_answered(
    app, client, alice, database_url
):
    """A write is never run twice, so it cannot be retried like a read: a connection that
    sat in the pool is pinged before it is handed out, and a dropped one replaced."""
    for _ in range(3):
        assert client.get(PROFILE, headers=alice.headers).status_code == 200
    assert drop_connections(database_url) >= 1
    time.sleep(IDLE_PING_SECONDS + 0.1)
    answer = client.patch(PROFILE, json={"is_private": True}, headers=alice.headers)
    assert answer.status_code == 200, answer.get_json()
    assert client.get(PROFILE, headers=alice.headers).get_json()["is_private"] is True


@needs_services
def test_postgres_restarting_gives_503s_then_recovers_by_itself(app, own_postgres, test_paths):
    auth = account_in(app, own_postgres)
    env = {
        "DATABASE_URL": own_postgres.url,
        "REDIS_URL": "",
        "MEDIA_ROOT": str(test_paths["media"]),
    }
    server, url = start_server(env, test_paths["base"] / "postgres-fault.log")
    try:
        assert call("GET", f"{url}{PROFILE}", headers=auth)[0] == 200

        own_postgres.stop()
        for path, headers in ((PROFILE, auth), (COMMENTS, {})):
            status, body, took = timed("GET", f"{url}{path}", headers=headers)
            assert (status, set(body)) == (503, {"error"}) and took < 5, (path, status, body)
        assert timed("GET", f"{url}/openapi.json")[0] == 200  # needs no database

        own_postgres.start()
        assert wait_until(lambda: call("GET", f"{url}{PROFILE}", headers=auth)[0] == 200, 30, 0.5)
        assert call("GET", f"{url}{COMMENTS}")[0] == 200
    finally:
        stop(server)
