"""Fixtures for the stories tests: the TTL and the cast of users."""

import pytest

from tests.support.factories import add_contact
from tests.support.stories import Cast


@pytest.fixture
def story_ttl(app):
    """Set STORY_TTL_HOURS for one test; the original comes back afterwards."""
    original = app.config["STORY_TTL_HOURS"]

    def set_ttl(hours: float) -> None:
        app.config["STORY_TTL_HOURS"] = hours

    yield set_ttl
    app.config["STORY_TTL_HOURS"] = original


@pytest.fixture
def cast(app, make_account):
    people = Cast(
        owner=make_account("owner@example.com", first_name="Owner"),
        contact=make_account("contact@example.com"),
        marked=make_account("marked@example.com"),
        stranger=make_account("stranger@example.com"),
        blocked=make_account("blocked@example.com"),
        blocker=make_account("blocker@example.com"),
    )
    for friend in (people.contact, people.blocked, people.blocker):
        add_contact(app, people.owner, friend)
    return people
