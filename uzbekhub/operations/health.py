"""`/healthz` (the process answers) and `/readyz` (it can serve: database reachable and
migrated to head, Redis reachable when configured), for load balancers and orchestrators.

Neither needs a token nor is throttled; their access lines are logged at DEBUG.
"""

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from uzbekhub.common.redis import redis_client
from uzbekhub.common.schema_state import schema_is_at_head
from uzbekhub.extensions import db, limiter

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__)

OK = "ok"


@blp.get("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status=OK)


@blp.get("/readyz")
@limiter.exempt
def readyz():
    checks = {**database_checks(), **redis_check()}
    failing = [f"{name} {state}" for name, state in checks.items() if state != OK]
    if failing:
        body = {"error": "Not ready: " + "; ".join(failing) + ".", "checks": checks}
        return jsonify(body), 503
    return jsonify(status="ready", checks=checks)


def database_checks() -> dict[str, str]:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            migrated = schema_is_at_head(connection)
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", exc)
        return {"database": "unreachable", "schema": "unknown"}
    return {"database": OK, "schema": OK if migrated else "not migrated"}


def redis_check() -> dict[str, str]:
    client = redis_client()
    if client is None:
        return {}
    try:
        client.ping()
    except Exception as exc:
        log.warning("readiness: redis unreachable: %s", exc)
        return {"redis": "unreachable"}
    return {"redis": OK}
