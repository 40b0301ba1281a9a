"""The migrations install the triggers that keep the groups as the models describe them (the
tests build their tables from the models, production from the migrations)."""

import re

from sqlalchemy import create_engine, text

from tests.test_platform import _flask
from uzbekhub.notifications.models import notification_group_triggers


def test_the_migrated_triggers_are_the_models_triggers(empty_database):
    upgrade = _flask(["db", "upgrade"], empty_database)
    assert upgrade.returncode == 0, upgrade.stderr
    engine = create_engine(empty_database)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                installed = connection.execute(
                    text(
                        "SELECT sql FROM sqlite_master "
                        "WHERE type = 'trigger' AND tbl_name = 'notification_actors'"
                    )
                ).scalars()
                assert set(installed) == set(notification_group_triggers("sqlite"))
            else:
                installed = connection.execute(
                    text("SELECT prosrc FROM pg_proc WHERE proname = 'keep_notification_groups'")
                ).scalar_one()
                function = notification_group_triggers("postgresql")[0]
                (body,) = re.findall(r"\$\$(.*)\$\$", function, flags=re.DOTALL)
                assert installed.strip() == body.strip()
    finally:
        engine.dispose()
