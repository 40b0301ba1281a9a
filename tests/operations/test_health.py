"""/healthz and /readyz, on the test database and on live servers whose database is new,
unreachable or fine, and whose Redis is away."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

from tests.conftest import ROOT, free_port, run_wsgi


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
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
