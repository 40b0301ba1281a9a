"""Fixtures for the posts tests: a third user, staff, and posts made in the database."""

import functools

import pytest

from tests.support import posts


@pytest.fixture
def carol(make_account):
    return make_account("carol@example.com", first_name="Carol", last_name="Aliyeva")


@pytest.fixture
def staff(make_account):
    return make_account("staff@example.com", is_staff=True)


@pytest.fixture
def make_post(app):
    """`make_post(owner, ...)`: `tests.support.posts.make_post` in this test's app."""
    return functools.partial(posts.make_post, app)
