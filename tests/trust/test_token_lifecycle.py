"""Tokens from an attacker's and a client's side: a deleted account's tokens, forged
claims, refresh rotation (the previous access token lives on, a replayed refresh token
ends its session) and one 401 sentence per cause."""

import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import jwt
import pytest
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token

from tests.conftest import ROOT
from tests.realtime.support import wait_until
from tests.support.factories import PASSWORD
from uzbekhub.accounts.models import User
from uzbekhub.accounts.users import new_user
from uzbekhub.chat.namespace import NAMESPACE
from uzbekhub.common.db import generated_integer_keyed
from uzbekhub.extensions import db

AUTH = "/api/accounts/auth"
SIGNUP, VERIFY, SIGNIN = f"{AUTH}/signup/", f"{AUTH}/email-verify/", f"{AUTH}/signin/"
REFRESH, LOGOUT = f"{AUTH}/token/refresh/", f"{AUTH}/logout/"
PROFILE = "/api/accounts/account/profile/"
DELETE, DELETE_CONFIRM = "/api/accounts/account/delete/", "/api/accounts/account/delete/confirm/"

NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
INVALID = {"detail": "Token is invalid."}
EXPIRED = {"detail": "Token has expired."}
REVOKED = {"detail": "Token has been revoked."}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def sign_up_and_in(client, mail_catcher, email: str) -> dict:
    body = {"email": email, "password": PASSWORD, "confirm_password": PASSWORD}
    assert client.post(SIGNUP, json=body).status_code == 201
    verified = client.post(VERIFY, json={"email": email, "code": mail_catcher.code_for(email)})
    assert verified.status_code == 200
    signed_in = client.post(SIGNIN, json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200
    return signed_in.get_json()["token"]


def profile(client, access: str):
    return client.get(PROFILE, headers=bearer(access))


# --- a deleted account's tokens (trust issue, item 1) --------------------------------------------


def test_a_deleted_accounts_id_and_tokens_do_not_pass_to_the_next_sign_up(
    app, client, mail_catcher
):
    mine = sign_up_and_in(client, mail_catcher, "mallory@example.com")
    my_id = profile(client, mine["access"]).get_json()["id"]
    asked = client.post(DELETE, json={"password": PASSWORD}, headers=bearer(mine["access"]))
    assert asked.status_code == 200
    code = mail_catcher.code_for("mallory@example.com")
    confirmed = client.post(DELETE_CONFIRM, json={"code": code}, headers=bearer(mine["access"]))
    assert confirmed.status_code == 204

    victim = sign_up_and_in(client, mail_catcher, "victim@example.com")
    assert profile(client, victim["access"]).get_json()["id"] > my_id
    assert profile(client, mine["access"]).get_json() == REVOKED
    assert client.post(REFRESH, json={"refresh": mine["refresh"]}).get_json() == REVOKED


def reuse_id(app, user_id: int, email: str) -> None:
    """What a database that reuses ids would do: the next account gets `user_id`."""
    with app.app_context():
        user = new_user(email, PASSWORD, is_active=True)
        user.id = user_id
        db.session.add(user)
        db.session.commit()


def test_tokens_issued_before_an_account_was_created_are_refused(
    app, client, make_account, mail_catcher
):
    old = make_account("mallory@example.com")
    with app.app_context():
        db.session.delete(db.session.get(User, old.id))
        db.session.commit()
    time.sleep(1.1)  # `iat` counts whole seconds
    reuse_id(app, old.id, "victim@example.com")
    assert profile(client, old.access).get_json() == REVOKED
    assert client.post(REFRESH, json={"refresh": old.refresh}).get_json() == REVOKED
    assert client.post(LOGOUT, json={"refresh": old.refresh}).get_json() == REVOKED
    victim = client.post(SIGNIN, json={"email": "victim@example.com", "password": PASSWORD})
    assert profile(client, victim.get_json()["token"]["access"]).status_code == 200


def test_tokens_of_a_user_staff_deleted_are_refused_for_the_next_account(
    app, client, make_account, sio
):
    admin = make_account("admin@example.com", is_staff=True)
    old = make_account("mallory@example.com")
    deleted = client.delete(f"/api/accounts/admin/user/{old.id}/", headers=admin.headers)
    assert deleted.status_code == 204
    time.sleep(1.1)
    reuse_id(app, old.id, "victim@example.com")
    assert profile(client, old.access).get_json() == REVOKED
    assert client.post(REFRESH, json={"refresh": old.refresh}).get_json() == REVOKED
    socket = sio(token=old.access)
    assert not socket.is_connected(NAMESPACE)


def test_the_migrations_make_sqlite_never_reuse_an_id(tmp_path):
    database = tmp_path / "migrated.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "ASYNC_MODE": "threading"}
    upgrade = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    integer_keyed = [table.name for table in generated_integer_keyed(db.metadata)]
    with sqlite3.connect(database) as conn:
        schema = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        assert integer_keyed, "no integer-keyed tables found"
        for table in integer_keyed:
            assert "AUTOINCREMENT" in schema[table], table
        insert = (
            "INSERT INTO users (email, username, first_name, last_name, bio, is_private, "
            "is_active, is_staff, date_joined, token_version) "
            "VALUES (?, ?, '', '', '', 0, 1, 0, '2026-01-01 00:00:00', 0)"
        )
        first = conn.execute(insert, ("a@example.com", "a_user")).lastrowid
        conn.execute("DELETE FROM users WHERE id = ?", (first,))
        second = conn.execute(insert, ("b@example.com", "b_user")).lastrowid
        assert second > first
        index = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'uq_users_username_lower'"
        ).fetchone()
        assert index and "lower(username)" in index[0]


# --- forged claims (trust issue, item 11) --------------------------------------------------------


def signed(app, kind: str, account, **claims) -> str:
    """A token signed with the app's key (public in development) saying `claims`."""
    with app.app_context():
        make = create_access_token if kind == "access" else create_refresh_token
        token = make(str(account.id), additional_claims={"ver": 0, "sid": "0" * 32})
        payload = {**decode_token(token), **claims}
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, app.config["JWT_SECRET_KEY"], algorithm="HS256")


MALFORMED = [
    {"sub": str(2**64)},
    {"sub": str(2**31)},
    {"sub": "-1"},
    {"sub": "0"},
    {"sub": " 1"},
    {"sub": 1},
    {"ver": "0"},
    {"ver": 2**70},
    {"ver": True},
    {"ver": None},
    {"sid": None},
    {"sid": "x" * 65},
    {"sid": 7},
    {"jti": ["a"]},
    {"type": "other"},
]


@pytest.mark.parametrize("claims", MALFORMED, ids=str)
def test_tokens_with_malformed_claims_are_401_everywhere(app, client, alice, sio, claims):
    access = signed(app, "access", alice, **claims)
    assert profile(client, access).get_json() == INVALID
    assert client.get("/api/chat/rooms/", headers=bearer(access)).get_json() == INVALID
    refresh = signed(app, "refresh", alice, **claims)
    assert client.post(REFRESH, json={"refresh": refresh}).get_json() == INVALID
    assert client.post(LOGOUT, json={"refresh": refresh}).get_json() == INVALID
    assert not sio(token=access).is_connected(NAMESPACE)


def test_a_well_formed_forged_token_still_works(app, client, alice):
    """The checks above refuse only what is malformed (the key is the real protection)."""
    assert profile(client, signed(app, "access", alice)).status_code == 200


# --- rotation, reuse and logout (client issue, item 1; trust issue, item 13) ---------------------


def test_refreshing_keeps_the_previous_access_token_until_it_expires(client, alice):
    pair = client.post(REFRESH, json={"refresh": alice.refresh}).get_json()
    assert profile(client, alice.access).status_code == 200
    assert profile(client, pair["access"]).status_code == 200
    again = client.post(REFRESH, json={"refresh": pair["refresh"]}).get_json()
    for access in (alice.access, pair["access"], again["access"]):
        assert profile(client, access).status_code == 200


def test_logout_ends_every_token_of_the_session_and_no_other(client, alice):
    pair = client.post(REFRESH, json={"refresh": alice.refresh}).get_json()
    other = client.post(SIGNIN, json={"email": alice.email, "password": alice.password})
    other = other.get_json()["token"]
    assert client.post(LOGOUT, json={"refresh": pair["refresh"]}).status_code == 200
    for access in (alice.access, pair["access"]):
        assert profile(client, access).get_json() == REVOKED
    assert client.post(REFRESH, json={"refresh": pair["refresh"]}).get_json() == REVOKED
    assert profile(client, other["access"]).status_code == 200
    assert client.post(REFRESH, json={"refresh": other["refresh"]}).status_code == 200


def test_a_password_change_ends_every_session(client, alice):
    pair = client.post(REFRESH, json={"refresh": alice.refresh}).get_json()
    changed = client.patch(PROFILE, json={"password": "brand-new-pass-1"}, headers=alice.headers)
    assert changed.status_code == 200
    for access in (alice.access, pair["access"]):
        assert profile(client, access).get_json() == REVOKED
    assert client.post(REFRESH, json={"refresh": pair["refresh"]}).get_json() == REVOKED


def test_a_replayed_refresh_token_ends_its_whole_session(app, client, alice, monkeypatch):
    """The thief and the client share one refresh token: whoever presents it second,
    after the retry window, ends the session for both."""
    monkeypatch.setitem(app.config, "REFRESH_RETRY_SECONDS", 0)
    other = client.post(SIGNIN, json={"email": alice.email, "password": alice.password})
    other = other.get_json()["token"]
    thief = client.post(REFRESH, json={"refresh": alice.refresh}).get_json()
    newer = client.post(REFRESH, json={"refresh": thief["refresh"]}).get_json()
    time.sleep(0.01)
    assert client.post(REFRESH, json={"refresh": alice.refresh}).get_json() == REVOKED
    for access in (alice.access, thief["access"], newer["access"]):
        assert profile(client, access).get_json() == REVOKED
    assert client.post(REFRESH, json={"refresh": newer["refresh"]}).get_json() == REVOKED
    assert profile(client, other["access"]).status_code == 200


def test_a_replayed_refresh_token_closes_the_sessions_sockets(app, client, alice, monkeypatch, sio):
    monkeypatch.setitem(app.config, "REFRESH_RETRY_SECONDS", 0)
    socket = sio(alice)
    assert socket.is_connected(NAMESPACE)
    client.post(REFRESH, json={"refresh": alice.refresh})
    time.sleep(0.01)
    assert socket.is_connected(NAMESPACE)
    client.post(REFRESH, json={"refresh": alice.refresh})
    # With Redis the revocation reaches the socket through pub/sub, a moment later.
    assert wait_until(lambda: not socket.is_connected(NAMESPACE))


def test_a_retry_within_seconds_of_the_rotation_is_refused_without_ending_the_session(
    client, alice
):
    pair = client.post(REFRESH, json={"refresh": alice.refresh}).get_json()
    retry = client.post(REFRESH, json={"refresh": alice.refresh})
    assert retry.status_code == 401
    assert retry.get_json() == REVOKED
    assert profile(client, alice.access).status_code == 200
    assert profile(client, pair["access"]).status_code == 200
    assert client.post(REFRESH, json={"refresh": pair["refresh"]}).status_code == 200


def test_a_replayed_refresh_token_at_logout_ends_the_session_too(app, client, alice, monkeypatch):
    monkeypatch.setitem(app.config, "REFRESH_RETRY_SECONDS", 0)
    pair = client.post(REFRESH, json={"refresh": alice.refresh}).get_json()
    time.sleep(0.01)
    assert client.post(LOGOUT, json={"refresh": alice.refresh}).get_json() == REVOKED
    assert profile(client, pair["access"]).get_json() == REVOKED


# --- one sentence per cause (client issue, item 6) -----------------------------------------------


def test_each_cause_of_a_401_has_its_own_sentence(app, client, alice):
    with app.app_context():
        claims = {"ver": 0, "sid": "0" * 32}
        old = timedelta(seconds=-5)
        expired_access = create_access_token(
            str(alice.id), additional_claims=claims, expires_delta=old
        )
        expired_refresh = create_refresh_token(
            str(alice.id), additional_claims=claims, expires_delta=old
        )
    assert client.get(PROFILE).get_json() == NO_CREDENTIALS
    assert profile(client, "garbage").get_json() == INVALID
    assert profile(client, alice.refresh).get_json() == INVALID
    assert profile(client, expired_access).get_json() == EXPIRED
    assert client.post(REFRESH, json={"refresh": "garbage"}).get_json() == INVALID
    assert client.post(REFRESH, json={"refresh": alice.access}).get_json() == INVALID
    assert client.post(REFRESH, json={"refresh": expired_refresh}).get_json() == EXPIRED
    assert client.post(LOGOUT, json={"refresh": alice.refresh}).status_code == 200
    assert profile(client, alice.access).get_json() == REVOKED
    assert client.post(REFRESH, json={"refresh": alice.refresh}).get_json() == REVOKED


def test_sockets_are_refused_with_the_same_sentences(app, client, alice):
    from uzbekhub.chat import protocol

    client.post(LOGOUT, json={"refresh": alice.refresh})
    with app.test_request_context():
        for token, sentence in [
            ("", NO_CREDENTIALS),
            ("garbage", INVALID),
            (alice.refresh, INVALID),
            (alice.access, REVOKED),
        ]:
            with pytest.raises(protocol.Refused) as refused:
                protocol.authenticate(token)
            assert (refused.value.code, refused.value.reason) == (4401, sentence["detail"])


def test_the_openapi_description_tells_the_token_lifecycle(client):
    spec = client.get("/openapi.json").get_json()
    description = spec["info"]["description"]
    for sentence in (NO_CREDENTIALS, INVALID, EXPIRED, REVOKED):
        assert sentence["detail"] in description
    assert "stay valid until they expire" in description
    refresh = spec["paths"][REFRESH]["post"]
    assert "same session" in refresh["summary"] + refresh.get("description", "")
