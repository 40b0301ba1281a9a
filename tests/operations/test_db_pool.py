"""The PostgreSQL pool keeps the connections concurrent requests use: a connection opened
beyond the pool is closed when given back, and the next peak opens it again (a backend
process started by PostgreSQL each time). Its size is the operator's to set."""

import os

import pytest
from sqlalchemy import event

from config import ConfigError, load_config
from uzbekhub.extensions import db

ON_POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith("postgres")
# What wrk's 32 connections (bench/run.py) need at once, short of the default pool.
PEAK = 30


def connections_opened(engine) -> list:
    opened = []
    event.listen(engine, "connect", lambda *args: opened.append(1))
    return opened


def use_at_once(engine, how_many: int) -> None:
    connections = [engine.connect() for _ in range(how_many)]
    for connection in connections:
        connection.exec_driver_sql("SELECT 1")
    for connection in connections:
        connection.close()


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite under eventlet has one connection")
def test_a_second_peak_of_concurrent_requests_opens_no_connection(app):
    with app.app_context():
        engine = db.engine
    use_at_once(engine, PEAK)
    opened = connections_opened(engine)
    use_at_once(engine, PEAK)
    assert opened == []


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite under eventlet has one connection")
def test_the_pool_is_sized_by_the_environment(app_overrides):
    from uzbekhub import create_app

    small = create_app({**app_overrides, "DATABASE_POOL_SIZE": 3, "DATABASE_MAX_OVERFLOW": 1})
    with small.app_context():
        engine = db.engine
        use_at_once(engine, 4)
        assert engine.pool.checkedin() == 3
        engine.dispose()


@pytest.mark.parametrize("setting", [{"DATABASE_POOL_SIZE": "0"}, {"DATABASE_MAX_OVERFLOW": "-1"}])
def test_a_pool_without_a_limit_is_refused(setting):
    with pytest.raises(ConfigError, match="DATABASE_POOL_SIZE"):
        load_config(setting)


def test_pool_settings_come_from_the_environment():
    cfg = load_config({"DATABASE_POOL_SIZE": "5", "DATABASE_MAX_OVERFLOW": "2"})
    assert (cfg["DATABASE_POOL_SIZE"], cfg["DATABASE_MAX_OVERFLOW"]) == (5, 2)
