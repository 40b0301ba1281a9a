"""A token revoked on one process is refused at once by another (README, "Tokens and
sessions"): both processes remember the user's state, and neither waits for the other's
announcement."""

import os

import pytest

from tests.realtime.support import http

LOGOUT = "/api/accounts/auth/logout/"
PROFILE = "/api/accounts/account/profile/"
SIGNIN = "/api/accounts/auth/signin/"
REVOKED = {"detail": "Token has been revoked."}

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="several processes need REDIS_URL: runs in CI's PostgreSQL + Redis pass",
)


@pytest.fixture
def two_processes(start_server):
    # Remembering token states, as in production (the test default turns it off).
    return [start_server(TOKEN_STATE_TTL_SECONDS="60").url for _ in range(2)]


def seen_by_both(servers, token: str, clients) -> None:
    """Both processes have served the token: its user's state and session are remembered."""
    for base in servers:
        for _ in range(2):
            assert http("GET", base + PROFILE, token=token)[0] == 200
        clients.ws(base, token=token)


def test_a_logout_on_one_process_is_refused_at_once_on_the_other(two_processes, clients, alice):
    a, b = two_processes
    seen_by_both(two_processes, alice.access, clients)

    assert http("POST", a + LOGOUT, {"refresh": alice.refresh})[0] == 200

    assert http("GET", b + PROFILE, token=alice.access) == (401, REVOKED)
    assert clients.ws(b, token=alice.access, ready=False).closed().code == 4401


def test_a_password_change_on_one_process_is_refused_at_once_on_the_other(
    two_processes, clients, alice
):
    a, b = two_processes
    status, signed_in = http("POST", a + SIGNIN, {"email": alice.email, "password": alice.password})
    assert status == 200
    other_session = signed_in["token"]
    for token in (alice.access, other_session["access"]):
        seen_by_both(two_processes, token, clients)

    assert (
        http("PATCH", a + PROFILE, {"password": "a-new-password-2026"}, token=alice.access)[0]
        == 200
    )

    for token in (alice.access, other_session["access"]):
        # The socket's opening reads only the remembered state and Redis, no User row.
        assert clients.ws(b, token=token, ready=False).closed().code == 4401
        assert http("GET", b + PROFILE, token=token) == (401, REVOKED)
