"""Migration 0012 fills public_post_totals from existing posts, installs the triggers the
models create (the tests build their tables with `create_all`, production with migrations),
and goes back down."""

import uuid

from sqlalchemy import create_engine, inspect, text

from tests.test_platform import _flask
from uzbekhub.extensions import db

BEFORE = "0011_notification_group_times"
INSTALLED = {
    "sqlite": "SELECT name, sql FROM sqlite_master "
    "WHERE type = 'trigger' AND name LIKE '%public_post%'",
    "postgresql": "SELECT proname, prosrc FROM pg_proc WHERE proname IN "
    "('add_public_posts', 'add_posts_if_public', 'keep_public_post_totals', "
    "'keep_public_post_totals_of_user') "
    "UNION ALL SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
    "WHERE tgname LIKE '%public_%'",
}
# id, is_active, is_private, active posts, inactive posts
USERS = (
    (1, True, False, 2, 1),
    (2, True, True, 3, 0),
    (3, False, False, 4, 0),
    (17, True, False, 1, 0),
)


def installed(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(text(INSTALLED[engine.dialect.name])).all())


def add_users_and_posts(engine) -> None:
    with engine.begin() as connection:
        for user_id, active, private, posts, hidden in USERS:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, username, first_name, last_name, bio, "
                    "is_private, is_active, is_staff, date_joined, token_version) VALUES (:id, "
                    ":email, :username, '', '', '', :private, :active, false, '2026-01-01', 0)"
                ),
                {
                    "id": user_id,
                    "email": f"u{user_id}@example.com",
                    "username": f"user{user_id}",
                    "private": private,
                    "active": active,
                },
            )
            for n in range(posts + hidden):
                connection.execute(
                    text(
                        "INSERT INTO posts (id, owner_id, content, is_active, is_edited, "
                        "created_at) VALUES (:id, :owner, '', :active, false, '2026-01-01')"
                    ),
                    {"id": uuid.uuid4().hex, "owner": user_id, "active": n < posts},
                )


def public_total(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(
            text("SELECT coalesce(sum(active_posts), 0) FROM public_post_totals")
        )


def test_0012_fills_the_public_totals_installs_the_models_triggers_and_goes_down(
    app, empty_database
):
    assert _flask(["db", "upgrade", BEFORE], empty_database).returncode == 0
    migrated = create_engine(empty_database)
    try:
        add_users_and_posts(migrated)
        upgrade = _flask(["db", "upgrade"], empty_database)
        assert upgrade.returncode == 0, upgrade.stderr
        assert public_total(migrated) == 3  # users 1 and 17: active and public
        from_migrations = installed(migrated)
        with app.app_context():
            assert from_migrations and from_migrations == installed(db.engine)
        with migrated.begin() as connection:
            connection.execute(text("UPDATE users SET is_private = true WHERE id = 17"))
        assert public_total(migrated) == 2

        downgrade = _flask(["db", "downgrade", BEFORE], empty_database)
        assert downgrade.returncode == 0, downgrade.stderr
        assert "public_post_totals" not in inspect(migrated).get_table_names()
        assert installed(migrated) == {}
        again = _flask(["db", "upgrade"], empty_database)
        assert again.returncode == 0, again.stderr
        assert public_total(migrated) == 2
    finally:
        migrated.dispose()
