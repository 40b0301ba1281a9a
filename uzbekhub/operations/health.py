"""`/healthz` (the process answers) and `/readyz` (it can serve: database reachable and
migrated to head, Redis reachable when configured), for load balancers and orchestrators.

Neither needs a token nor is throttled; their access lines are logged at DEBUG. The checks
run together and answer within READY_SECONDS: a host that never answers fails its check
instead of holding the probe (uzbekhub.common.deadline).
"""

import logging

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from uzbekhub.common.deadline import answers_within
from uzbekhub.common.redis import redis_client
from uzbekhub.common.schema_state import schema_is_at_head
from uzbekhub.extensions import db, limiter

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__)

OK = "ok"
READY_SECONDS = 3
DATABASE_UNREACHABLE = {"database": "unreachable", "schema": "unknown"}
REDIS_UNREACHABLE = {"redis": "unreachable"}


@blp.get("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status=OK)


@blp.get("/readyz")
@limiter.exempt
def readyz():
    checks = ready_checks(current_app._get_current_object())
    failing = [f"{name} {state}" for name, state in checks.items() if state != OK]
    if failing:
        body = {"error": "Not ready: " + "; ".join(failing) + ".", "checks": checks}
        return jsonify(body), 503
    return jsonify(status="ready", checks=checks)


def ready_checks(app: Flask) -> dict[str, str]:
    """Every check's state, each one failing that has not answered within READY_SECONDS."""
    calls = {"database": lambda: in_app(app, database_checks)}
    failures = {"database": DATABASE_UNREACHABLE}
    if redis_client() is not None:
        calls["redis"] = lambda: in_app(app, redis_check)
        failures["redis"] = REDIS_UNREACHABLE
    checks: dict[str, str] = {}
    for name, outcome in answers_within(READY_SECONDS, calls).items():
        if isinstance(outcome, Exception):
            log.warning("readiness: %s unreachable: %s", name, outcome)
            outcome = failures[name]
        checks.update(outcome)
    return checks


def in_app(app: Flask, check):
    with app.app_context():
        return check()


def database_checks() -> dict[str, str]:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        migrated = schema_is_at_head(connection)
    return {"database": OK, "schema": OK if migrated else "not migrated"}


def redis_check() -> dict[str, str]:
    redis_client().ping()
    return {"redis": OK}
