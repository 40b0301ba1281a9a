"""Fixtures and helpers for the notifications tests."""

import pytest

from tests.realtime.conftest import clients, start_server  # noqa: F401 (shared fixtures)
from tests.support.factories import Account
from uzbekhub.notifications.services import NOTIFIER_KEY

NOTIFICATIONS = "/api/notifications/"
UNREAD = "/api/notifications/unread_count/"
READ = "/api/notifications/read/"
SETTINGS = "/api/notifications/settings/"
PUSH_KEY = "/api/notifications/push/key/"
SUBSCRIPTIONS = "/api/notifications/push/subscriptions/"


@pytest.fixture(autouse=True)
def announced(app):
    """Waits until every change is announced (events, pushes); done after each test too, so
    that no announcement outlives its test's tables."""

    def wait():
        app.extensions[NOTIFIER_KEY].wait_idle()

    yield wait
    wait()


def notifications_of(client, account: Account, query: str = "") -> dict:
    response = client.get(f"{NOTIFICATIONS}{query}", headers=account.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def results_of(client, account: Account, query: str = "") -> list[dict]:
    return notifications_of(client, account, query)["results"]


def unread_of(client, account: Account) -> int:
    response = client.get(UNREAD, headers=account.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["unread_count"]


def only(results: list[dict], kind: str) -> dict:
    found = [n for n in results if n["type"] == kind]
    assert len(found) == 1, results
    return found[0]
