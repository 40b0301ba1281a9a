"""The migrations install the triggers that keep the groups as the models do (the tests build
their tables from the models with `create_all`, production from the migrations)."""

from sqlalchemy import create_engine, text

from tests.test_platform import _flask
from uzbekhub.extensions import db

TRIGGERS = {
    "sqlite": "SELECT name, sql FROM sqlite_master "
    "WHERE type = 'trigger' AND tbl_name = 'notification_actors'",
    "postgresql": "SELECT proname, prosrc FROM pg_proc WHERE proname = 'keep_notification_groups'",
}


def installed_triggers(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(text(TRIGGERS[engine.dialect.name])).all())


def test_the_migrated_triggers_are_the_ones_the_models_create(app, empty_database):
    upgrade = _flask(["db", "upgrade"], empty_database)
    assert upgrade.returncode == 0, upgrade.stderr
    migrated = create_engine(empty_database)
    try:
        from_migrations = installed_triggers(migrated)
    finally:
        migrated.dispose()
    with app.app_context():
        from_models = installed_triggers(db.engine)
    assert from_migrations and from_migrations == from_models
