"""What each process remembers of a token's user (uzbekhub/accounts/token_state.py): no
statement for a user and session seen before, and nothing remembered past a change."""

import os
import time

import pytest
from sqlalchemy import text, update

from uzbekhub.accounts import token_state
from uzbekhub.accounts.caller import verify_access
from uzbekhub.accounts.models import User
from uzbekhub.accounts.token_state import TtlCache, token_states
from uzbekhub.accounts.tokens import REVOKED, issue_tokens
from uzbekhub.errors import Unauthorized
from uzbekhub.extensions import db

LOGOUT = "/api/accounts/auth/logout/"
PROFILE = "/api/accounts/account/profile/"
FEED = "/api/posts/post/"


def verify(app, token: str):
    """The caller's state, as a request with `token` gets it."""
    with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        return verify_access()


def refused(app, token: str) -> bool:
    try:
        verify(app, token)
    except Unauthorized as exc:
        assert exc.description == REVOKED
        return True
    return False


def test_a_token_of_a_user_and_session_seen_before_costs_no_statement(app, alice, statements):
    verify(app, alice.access)
    with statements() as seen:
        state = verify(app, alice.access)
    assert (state.id, state.is_staff, state.is_private) == (alice.id, False, False)
    assert seen == []


def test_a_view_that_uses_the_user_loads_it_and_checks_it_again(app, client, alice, statements):
    client.get(PROFILE, headers=alice.headers)
    with statements() as seen:
        answer = client.get(PROFILE, headers=alice.headers)
    assert answer.get_json()["email"] == alice.email
    assert any("password_hash" in statement for statement in seen)  # the whole User, once


def test_a_view_that_uses_only_the_callers_id_reads_no_user_row(app, client, alice, statements):
    client.get(FEED, headers=alice.headers)
    with statements() as seen:
        answer = client.get(FEED, headers=alice.headers)
    assert answer.status_code == 200
    assert not any("password_hash" in statement for statement in seen), seen


def test_a_committed_change_of_the_user_is_seen_by_the_next_request(app, alice):
    assert not verify(app, alice.access).is_staff
    with app.app_context():
        db.session.get(User, alice.id).is_staff = True
        db.session.commit()
    assert verify(app, alice.access).is_staff


def test_a_rolled_back_change_leaves_the_remembered_state(app, alice, statements):
    verify(app, alice.access)
    with app.app_context():
        db.session.get(User, alice.id).is_active = False
        db.session.flush()
        db.session.rollback()
    with statements() as seen:
        assert verify(app, alice.access).is_active
    assert seen == []


def test_a_bulk_update_of_the_users_token_version_refuses_its_tokens_at_once(app, alice):
    verify(app, alice.access)
    with app.app_context():
        bump = update(User).where(User.id == alice.id).values(token_version=User.token_version + 1)
        db.session.execute(bump)
        db.session.commit()
    assert refused(app, alice.access)


def test_deactivating_and_deleting_refuse_the_token_at_once(app, alice, bob):
    verify(app, alice.access), verify(app, bob.access)
    with app.app_context():
        db.session.get(User, alice.id).is_active = False
        db.session.delete(db.session.get(User, bob.id))
        db.session.commit()
    assert refused(app, alice.access) and refused(app, bob.access)


def test_a_token_newer_than_the_remembered_state_has_it_read_again(app, alice):
    """Another process bumped the version and signed the user in again, and its
    announcement has not arrived here yet: the new token is not refused for it."""
    verify(app, alice.access)
    with app.app_context():
        with db.engine.begin() as connection:  # beneath the session: nothing is announced
            connection.execute(
                text("UPDATE users SET token_version = token_version + 1 WHERE id = :id"),
                {"id": alice.id},
            )
        newer = issue_tokens(db.session.get(User, alice.id))["access"]
    assert verify(app, newer).token_version == 1
    assert refused(app, alice.access)


def test_a_logout_refuses_the_sessions_access_token_at_once(app, client, alice):
    verify(app, alice.access)
    assert client.post(LOGOUT, json={"refresh": alice.refresh}).status_code == 200
    assert refused(app, alice.access)


def test_the_memory_holds_the_most_recently_used_and_forgets_the_old():
    cache = TtlCache(size=2, ttl=0.2)
    cache.put(1, "one", cache.generation)
    cache.put(2, "two", cache.generation)
    assert cache.get(1) == "one"
    cache.put(3, "three", cache.generation)
    assert (cache.get(1), cache.get(2), cache.get(3), len(cache)) == ("one", None, "three", 2)
    time.sleep(0.25)
    assert (cache.get(1), cache.get(3), len(cache)) == (None, None, 0)


def test_a_state_read_while_a_change_commits_is_not_remembered():
    cache = TtlCache(size=10, ttl=60)
    before = cache.generation
    cache.forget(7)  # the change committed while the state was being read
    cache.put(7, "stale", before)
    assert cache.get(7) is None


@pytest.mark.parametrize("size", [3])
def test_the_apps_memory_never_holds_more_users_than_its_size(app, make_account, size):
    states = token_states(app)
    states.users.size = size
    try:
        for account in [make_account() for _ in range(size + 2)]:
            verify(app, account.access)
        assert len(states.users) == size
    finally:
        states.users.size = app.config["TOKEN_STATE_CACHE_SIZE"]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the version listed in Redis")
def test_with_redis_a_version_bump_is_refused_before_its_announcement_arrives(
    app, client, alice, monkeypatch
):
    """Other processes hear of a change over pub/sub, some time after it; the token's
    version is compared with the one listed in Redis meanwhile."""
    verify(app, alice.access)
    monkeypatch.setattr(token_state, "changed_users", lambda user_ids: None)
    answer = client.patch(PROFILE, json={"password": "a-new-password-2026"}, headers=alice.headers)
    assert answer.status_code == 200
    assert token_states(app).users.get(alice.id).token_version == 0  # not heard of
    assert refused(app, alice.access)
