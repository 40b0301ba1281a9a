"""/healthz and /readyz, on the test database and on live servers whose database is new,
unreachable, silent or fine, and whose Redis is away or silent."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

from tests.conftest import ROOT, free_port, run_wsgi
from uzbekhub.common.deadline import NoAnswer, answers_within


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_healthz_answers_without_a_token(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_is_ready_on_a_migrated_database(app, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = {"database": "ok", "schema": "ok"}
    if app.config["REDIS_URL"]:
        checks["redis"] = "ok"
    assert response.get_json() == {"status": "ready", "checks": checks}


def test_readyz_names_a_schema_that_is_not_migrated_until_it_is(
    app_overrides, test_paths, mail_catcher
):
    database = f"sqlite:///{test_paths['base'] / 'never-migrated.db'}"
    with run_wsgi(app_overrides, test_paths, mail_catcher, DATABASE_URL=database) as server:
        status, body = get(f"{server.url}/readyz")
        assert status == 503
        assert body["error"] == "Not ready: schema not migrated."
        assert body["checks"]["database"] == "ok"

        env = {**os.environ, "DATABASE_URL": database, "FLASK_APP": "wsgi", "REDIS_URL": ""}
        upgrade = [sys.executable, "-m", "flask", "db", "upgrade"]
        subprocess.run(upgrade, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
        assert get(f"{server.url}/readyz")[0] == 200
        assert get(f"{server.url}/healthz") == (200, {"status": "ok"})


def test_readyz_names_an_unreachable_database_and_redis(app_overrides, test_paths, mail_catcher):
    nothing_listens = free_port()
    env = {
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{nothing_listens}/none",
        "REDIS_URL": f"redis://127.0.0.1:{nothing_listens}/0",
    }
    with run_wsgi(app_overrides, test_paths, mail_catcher, **env) as server:
        status, body = get(f"{server.url}/readyz")
        # The process itself is fine: restarting it would not help.
        assert get(f"{server.url}/healthz")[0] == 200
    assert status == 503
    assert body["error"] == "Not ready: database unreachable; schema unknown; redis unreachable."
    assert body["checks"] == {
        "database": "unreachable",
        "schema": "unknown",
        "redis": "unreachable",
    }


@contextmanager
def silent_server():
    """A TCP port that accepts connections and never says a word: a database or Redis that
    hangs, as a blackholed host does (the clients' own waits are minutes or for ever)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in [*held, listener]:
            connection.close()


def timed_get(url: str) -> tuple[float, int, dict]:
    started = time.monotonic()
    status, body = get(url)
    return time.monotonic() - started, status, body


def test_readyz_answers_in_bounded_time_when_the_database_and_redis_never_answer(
    app_overrides, test_paths, mail_catcher
):
    with silent_server() as port:
        env = {
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/none",
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        }
        # The server's first lines ask the database too: it still comes up and listens.
        with run_wsgi(app_overrides, test_paths, mail_catcher, **env) as server:
            first = timed_get(f"{server.url}/readyz")
            # The first probe's checks may still wait on their hosts: the next one does not
            # queue behind them.
            second = timed_get(f"{server.url}/readyz")
            assert get(f"{server.url}/healthz")[0] == 200
    unreachable = {"database": "unreachable", "schema": "unknown", "redis": "unreachable"}
    for seconds, status, body in (first, second):
        # The checks give up after READY_SECONDS (3); without a deadline the probe hangs
        # (get's own 30 s timeout would fail the test).
        assert seconds < 15, seconds
        assert status == 503
        assert body["checks"] == unreachable
        assert (
            body["error"] == "Not ready: database unreachable; schema unknown; redis unreachable."
        )


def test_a_call_that_never_returns_is_given_up_on_and_not_queued_behind():
    with silent_server() as port:
        connection = socket.create_connection(("127.0.0.1", port))
        try:
            started = time.monotonic()
            outcomes = answers_within(
                0.5,
                {
                    "silent": lambda: connection.recv(1),  # waits for ever
                    "quick": lambda: "answered",
                    "broken": lambda: 1 / 0,
                },
            )
            assert time.monotonic() - started < 5
            assert isinstance(outcomes["silent"], NoAnswer)
            assert outcomes["quick"] == "answered"
            assert isinstance(outcomes["broken"], ZeroDivisionError)
            # The first call still waits: the next is given up on at once, no thread added.
            before = threading.active_count()
            again = answers_within(5, {"silent": lambda: "would answer"})["silent"]
            assert isinstance(again, NoAnswer) and "still waits" in str(again)
            assert threading.active_count() == before
        finally:
            connection.close()
