"""Chat fixtures: a group with one user of each role, and the events it publishes."""

import pytest

from tests.chat.support import Cast, create_group, member_action
from uzbekhub.chat.events import bus


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
    """Every chat event dispatched during the test, in order."""
    recorded = []
    unsubscribe = bus(app).subscribe(recorded.append)
    yield recorded
    unsubscribe()
