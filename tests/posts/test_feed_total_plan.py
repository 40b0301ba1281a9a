"""The whole feed's `count` reads the caller's few rows, not every user (PostgreSQL plan)."""

import json

import pytest
from sqlalchemy import text

from tests.support.factories import add_contact, block
from uzbekhub.extensions import db
from uzbekhub.posts.feed import _page, _total

USERS = 3000


def scanned_tables(plan: dict) -> set[str]:
    found = {plan["Relation Name"]} if plan["Node Type"] == "Seq Scan" else set()
    for child in plan.get("Plans", ()):
        found |= scanned_tables(child)
    return found


@pytest.fixture
def many_users(app, alice, bob, carol):
    """USERS public users with a post count each, and the statistics that say so."""
    add_contact(app, bob, alice)
    block(app, carol, alice)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plan is PostgreSQL's")
        db.session.execute(
            text(
                "INSERT INTO users (email, username, is_private, is_active, is_staff, "
                "first_name, last_name, bio, date_joined, token_version) "
                "SELECT 'many' || n || '@example.com', 'many' || n, false, true, false, "
                "'', '', '', now(), 0 FROM generate_series(1, :users) AS n"
            ),
            {"users": USERS},
        )
        db.session.execute(
            text("INSERT INTO post_counts (owner_id, active_posts) SELECT id, 1 FROM users")
        )
        db.session.commit()
        for table in ("users", "post_counts", "contacts", "blocks", "public_post_totals"):
            db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()


@pytest.mark.parametrize("statement", [_total, _page], ids=["total", "page"])
def test_the_feed_statements_scan_neither_users_nor_post_counts(app, alice, many_users, statement):
    params = {"caller_id": alice.id, "owner_id": None, "limit": 10, "offset": 0}
    with app.app_context():
        compiled = statement(False).compile(db.engine)
        explain = f"EXPLAIN (FORMAT JSON) {compiled}"
        plan = db.session.connection().exec_driver_sql(explain, {**compiled.params, **params})
        plan = plan.scalar()
        if isinstance(plan, str):
            plan = json.loads(plan)
        tree = plan[0]["Plan"]
        assert not scanned_tables(tree) & {"users", "post_counts"}, json.dumps(tree, indent=1)
        total = db.session.scalar(_total(False), params)
    assert total == USERS + 2  # the public many, alice herself and bob; not carol
