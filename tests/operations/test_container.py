"""The image and the platform: what the image carries, its health check run for real, migrations
as a release step, and the refusal to run several processes without Redis."""

import json
import os
import re
import subprocess
import sys

import pytest

from config import ConfigError, load_config
from tests.conftest import ROOT, free_port

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instruction(name: str) -> str:
    """The Dockerfile's (last) instruction `name`, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return re.findall(rf"^{name}\s+(.*)$", joined, re.MULTILINE)[-1]


def test_the_image_leaves_out_tests_and_benchmarks():
    ignored = {
        line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
    }
    assert {"tests", "bench", ".venv", "instance"} <= ignored


def test_local_media_is_a_declared_volume():
    assert json.loads(instruction("VOLUME")) == ["/app/instance/media"]


def test_replicas_start_the_server_without_migrating_the_release_step_does():
    assert json.loads(instruction("CMD")) == ["python", "wsgi.py"]
    assert "db upgrade" not in instruction("CMD")
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines())
    assert procfile == {"release": "flask db upgrade", "web": "python wsgi.py"}


def healthcheck(port: int) -> subprocess.CompletedProcess:
    command = json.loads(instruction("HEALTHCHECK").split(" CMD ", 1)[1])
    assert command[0] == "python"
    env = {**os.environ, "PORT": str(port)}
    return subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True, timeout=30)


def test_the_image_health_check_passes_on_a_live_server_and_fails_without_one(live_server):
    assert healthcheck(int(live_server.rsplit(":", 1)[1])).returncode == 0
    assert healthcheck(free_port()).returncode != 0


def test_more_than_one_process_needs_redis():
    with pytest.raises(ConfigError, match="REDIS_URL is required when WEB_CONCURRENCY > 1"):
        load_config({"WEB_CONCURRENCY": "2"})
    assert load_config({"WEB_CONCURRENCY": "2", "REDIS_URL": "redis://127.0.0.1/0"})
    assert load_config({"WEB_CONCURRENCY": "1"})["WEB_CONCURRENCY"] == 1


def test_the_server_refuses_to_start_as_one_of_several_without_redis():
    env = {**os.environ, "WEB_CONCURRENCY": "3", "REDIS_URL": "", "PORT": str(free_port())}
    started = subprocess.run(
        [sys.executable, "wsgi.py"], cwd=ROOT, env=env, capture_output=True, timeout=60, text=True
    )
    assert started.returncode != 0
    assert "REDIS_URL is required when WEB_CONCURRENCY > 1" in started.stderr
