"""Chat fixtures: a group with one user of each role, and the events it publishes."""

import pytest

from tests.support.chat import Cast, create_group, member_action
from uzbekhub.chat.events import USER_EVENTS, bus


@pytest.fixture
def cast(client, make_account) -> Cast:
    owner = make_account(first_name="Olim")
    admin = make_account(first_name="Aziza")
    member = make_account(first_name="Murod")
    outsider = make_account(first_name="Otabek")
    room = create_group(client, owner, [admin, member], name="Project Team")
    assert member_action(client, owner, room, "set_admin", admin).status_code == 200
    return Cast(room, owner, admin, member, outsider)


@pytest.fixture
def chat_events(app):
    """Every chat event dispatched during the test, in order (not the events about a user,
    which notifications send through the same bus)."""
    recorded = []

    def record(event):
        if event.room_id != USER_EVENTS:
            recorded.append(event)

    unsubscribe = bus(app).subscribe(record)
    yield recorded
    unsubscribe()
