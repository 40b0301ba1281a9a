"""Accounts 1-6 and the token endpoints, from a client's side."""

import re
import time
from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token
from joserfc.jwk import RSAKey
from jwt import decode as jwt_decode
from sqlalchemy import func, select, update

from tests.support.answers import field_errors
from uzbekhub.accounts import tokens
from uzbekhub.accounts.models import PasswordResetToken, User, VerificationCode
from uzbekhub.common.db import utcnow
from uzbekhub.extensions import db

SIGNUP = "/api/accounts/auth/signup/"
VERIFY = "/api/accounts/auth/email-verify/"
SIGNIN = "/api/accounts/auth/signin/"
GOOGLE = "/api/accounts/auth/oauth2/google/"
FORGOT = "/api/accounts/auth/forgot-password/"
RESET = "/api/accounts/auth/reset-password/{}/"
REFRESH = "/api/accounts/auth/token/refresh/"
LOGOUT = "/api/accounts/auth/logout/"
PASSWORD = "s3cret-password"


def signup(client, email="new@example.com", password=PASSWORD, confirm=None):
    return client.post(
        SIGNUP,
        json={"email": email, "password": password, "confirm_password": confirm or password},
    )


def signed_up_and_verified(client, mail_catcher, email="new@example.com"):
    assert signup(client, email).status_code == 201
    code = mail_catcher.code_for(email)
    assert client.post(VERIFY, json={"code": code}).status_code == 200
    return client.post(SIGNIN, json={"email": email, "password": PASSWORD}).get_json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def expire_codes(app):
    with app.app_context():
        db.session.execute(
            update(VerificationCode).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


# --- sign-up and verification ---------------------------------------------------------------


def test_signup_answers_like_the_spec_and_mails_a_code(client, mail_catcher):
    response = signup(client, "  New@Example.COM ")
    assert response.status_code == 201
    assert response.get_json() == {"status": True, "user": "new@example.com"}
    body = mail_catcher.body_of(mail_catcher.last_to("new@example.com"))
    assert re.search(r"(?<!\d)\d{5}(?!\d)", body)


def test_signup_creates_an_inactive_user_with_a_hashed_code(client, app, mail_catcher):
    signup(client)
    code = mail_catcher.code_for("new@example.com")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.com"))
        stored = db.session.scalar(select(VerificationCode))
    assert user.is_active is False
    # The password waits with its attempt's code until that code is confirmed.
    assert user.password_hash is None
    assert stored.password_hash.startswith("$argon2id$")
    assert code not in stored.code_hash


def test_verify_activates_and_then_sign_in_works(client, mail_catcher):
    tokens = signed_up_and_verified(client, mail_catcher)
    assert set(tokens) == {"access", "refresh"}


def test_verify_accepts_email_and_code(client, mail_catcher):
    signup(client)
    code = mail_catcher.code_for("new@example.com")
    response = client.post(VERIFY, json={"email": "NEW@example.com", "code": code})
    assert response.status_code == 200
    assert response.get_json() == {"message": "User is successfully activated"}


def test_verify_code_is_single_use(client, mail_catcher):
    signup(client)
    code = mail_catcher.code_for("new@example.com")
    assert client.post(VERIFY, json={"code": code}).status_code == 200
    again = client.post(VERIFY, json={"code": code})
    assert again.status_code == 400
    assert "code" in field_errors(again)


def test_expired_code_is_refused(client, app, mail_catcher):
    signup(client)
    code = mail_catcher.code_for("new@example.com")
    expire_codes(app)
    response = client.post(VERIFY, json={"code": code})
    assert response.status_code == 400
    assert "code" in field_errors(response)


def test_code_of_another_user_does_not_verify_mine(client, mail_catcher):
    signup(client, "one@example.com")
    signup(client, "two@example.com")
    code_of_two = mail_catcher.code_for("two@example.com")
    response = client.post(VERIFY, json={"email": "one@example.com", "code": code_of_two})
    assert response.status_code == 400
    assert "code" in field_errors(response)


@pytest.mark.parametrize("code", ["1234", "123456", "abcde", "", 12345, None])
def test_malformed_codes_are_400(client, code):
    response = client.post(VERIFY, json={"code": code})
    assert response.status_code == 400
    assert "code" in field_errors(response)


def test_signup_again_while_unverified_waits_a_minute_and_keeps_both_attempts(
    client, app, mail_catcher, issued_codes
):
    issued_codes("11111", "22222")
    signup(client, password="first-password")
    first = mail_catcher.code_for("new@example.com")
    too_soon = signup(client, password="second-password")
    assert too_soon.status_code == 429
    assert too_soon.get_json()["wait_seconds"] > 0
    assert int(too_soon.headers["Retry-After"]) > 0
    with app.app_context():
        db.session.execute(
            update(VerificationCode).values(created_at=utcnow() - timedelta(seconds=61))
        )
        db.session.commit()
    assert signup(client, password="second-password").status_code == 201
    assert client.post(VERIFY, json={"code": first}).status_code == 200
    ok = client.post(SIGNIN, json={"email": "new@example.com", "password": "first-password"})
    assert ok.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(VerificationCode)) == 0


def test_signup_with_a_verified_email_is_400_on_email(client, alice):
    response = signup(client, alice.email.upper())
    assert response.status_code == 400
    assert "email" in field_errors(response)


def test_mismatched_passwords_are_400_on_confirm_password(client):
    response = signup(client, confirm="something-else")
    assert response.status_code == 400
    assert "confirm_password" in field_errors(response)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": PASSWORD, "confirm_password": PASSWORD}, "email"),
        ({"email": "x@example.com", "confirm_password": PASSWORD}, "password"),
        ({"email": "not-an-email", "password": PASSWORD, "confirm_password": PASSWORD}, "email"),
        ({"email": 42, "password": PASSWORD, "confirm_password": PASSWORD}, "email"),
        ({"email": "x@example.com", "password": "short", "confirm_password": "short"}, "password"),
        ({"email": "x@example.com", "password": ["a"] * 9, "confirm_password": "x"}, "password"),
        (
            {"email": "a" * 10000 + "@x.com", "password": PASSWORD, "confirm_password": PASSWORD},
            "email",
        ),
        (
            {"email": "x@example.com", "password": "p" * 10000, "confirm_password": "p" * 10000},
            "password",
        ),
        (
            {"email": "x@example.com", "password": PASSWORD, "confirm_password": PASSWORD, "x": 1},
            "x",
        ),
    ],
)
def test_bad_signup_bodies_are_400_on_the_field(client, body, field):
    response = client.post(SIGNUP, json=body)
    assert response.status_code == 400
    assert field in field_errors(response)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "not json", "content_type": "application/json"},
        {"data": "[1, 2]", "content_type": "application/json"},
        {"data": '"text"', "content_type": "application/json"},
        {"data": b"\xff\xfe", "content_type": "application/json"},
    ],
)
def test_non_json_bodies_are_400(client, kwargs):
    response = client.post(SIGNUP, **kwargs)
    assert response.status_code == 400
    assert response.get_json()["error"] == "Invalid request data"


def test_a_form_body_is_415_naming_json(client):
    response = client.post(
        SIGNUP, data="email=a@b.c", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert "application/json" in response.get_json()["error"]


# --- sign-in ----------------------------------------------------------------------------------


def test_signin_answers_like_the_spec(client, alice):
    response = client.post(SIGNIN, json={"email": " ALICE@example.com", "password": alice.password})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] is True and body["email"] == "alice@example.com"
    assert set(body["token"]) == {"access", "refresh"}


@pytest.mark.parametrize("email", ["alice@example.com", "nobody@example.com"])
def test_wrong_pair_is_400_non_field(client, alice, email):
    response = client.post(SIGNIN, json={"email": email, "password": "wrong-password"})
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "Invalid request data",
        "details": {"non_field_errors": ["Incorrect email or password; you were not signed in."]},
    }


def test_unverified_signin_is_403_only_with_the_right_password(client, make_account):
    pending = make_account("pending@example.com", is_active=False)
    wrong = client.post(SIGNIN, json={"email": pending.email, "password": "wrong-password"})
    assert wrong.status_code == 400
    right = client.post(SIGNIN, json={"email": pending.email, "password": pending.password})
    assert right.status_code == 403
    assert "verified" in right.get_json()["detail"]


def test_signin_records_last_login(client, app, alice):
    client.post(SIGNIN, json={"email": alice.email, "password": alice.password})
    with app.app_context():
        assert db.session.get(User, alice.id).last_login is not None


# --- tokens -----------------------------------------------------------------------------------


def test_refresh_rotates_and_revokes_the_old_refresh_token(client, alice):
    response = client.post(REFRESH, json={"refresh": alice.refresh})
    assert response.status_code == 200
    pair = response.get_json()
    assert set(pair) == {"access", "refresh"}
    reused = client.post(REFRESH, json={"refresh": alice.refresh})
    assert reused.status_code == 401
    assert "detail" in reused.get_json()
    assert client.post(REFRESH, json={"refresh": pair["refresh"]}).status_code == 200


def test_access_token_cannot_refresh(client, alice):
    assert client.post(REFRESH, json={"refresh": alice.access}).status_code == 401


def test_refresh_token_is_not_an_access_token(app, client, alice):
    probe_url = protected_url(app)
    assert client.get(probe_url, headers=bearer(alice.access)).status_code == 200
    response = client.get(probe_url, headers=bearer(alice.refresh))
    assert response.status_code == 401
    assert set(response.get_json()) == {"detail"}


def test_logout_revokes_refresh_and_its_access_tokens(app, client, alice):
    probe_url = protected_url(app)
    response = client.post(LOGOUT, json={"refresh": alice.refresh})
    assert response.status_code == 200
    assert "message" in response.get_json()
    assert client.get(probe_url, headers=bearer(alice.access)).status_code == 401
    assert client.post(REFRESH, json={"refresh": alice.refresh}).status_code == 401
    assert client.post(LOGOUT, json={"refresh": alice.refresh}).status_code == 401


@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": 5}])
def test_missing_refresh_field_is_400(client, body):
    assert client.post(REFRESH, json=body).status_code == 400
    assert client.post(LOGOUT, json=body).status_code == 400


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x"])
def test_bad_refresh_tokens_are_401(client, token):
    assert client.post(REFRESH, json={"refresh": token}).status_code == 401


def test_tampered_and_expired_access_tokens_are_401(app, client, alice):
    probe_url = protected_url(app)
    header, payload, signature = alice.access.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert client.get(probe_url, headers=bearer(tampered)).status_code == 401
    with app.app_context():
        expired = create_access_token(
            str(alice.id), additional_claims={"ver": 0}, expires_delta=timedelta(seconds=-5)
        )
    response = client.get(probe_url, headers=bearer(expired))
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Token has expired."}
    assert client.get(probe_url).get_json() == {
        "detail": "Authentication credentials were not provided."
    }
    assert client.get(probe_url, headers={"Authorization": "Basic abc"}).status_code == 401


def test_a_token_is_verified_once_for_all_the_requests_that_send_it(
    app, client, alice, monkeypatch
):
    verified = []

    def counting_decode(token, *args, **kwargs):
        verified.append(token)
        return jwt_decode(token, *args, **kwargs)

    monkeypatch.setattr(tokens, "jwt_decode", counting_decode)
    for _ in range(3):
        assert client.get(protected_url(app), headers=bearer(alice.access)).status_code == 200
    assert verified == [alice.access]


def test_a_token_accepted_before_is_refused_once_it_expires(app, client, make_account, monkeypatch):
    monkeypatch.setitem(app.config, "JWT_ACCESS_TOKEN_EXPIRES", timedelta(seconds=1))
    brief = make_account().access
    expires_at = decode_token_unverified(brief)["exp"]
    assert client.get(protected_url(app), headers=bearer(brief)).status_code == 200
    time.sleep(max(0.0, expires_at - time.time()) + 0.05)
    response = client.get(protected_url(app), headers=bearer(brief))
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Token has expired."}


def test_a_verified_tokens_signature_admits_no_other_claims(app, client, alice, bob, monkeypatch):
    assert client.get(protected_url(app), headers=bearer(alice.access)).status_code == 200
    header, _, signature = alice.access.split(".")
    bobs_claims = bob.access.split(".")[1]
    forged = f"{header}.{bobs_claims}.{signature}"
    assert client.get(protected_url(app), headers=bearer(forged)).get_json() == {
        "detail": "Token is invalid."
    }
    monkeypatch.setitem(app.config, "JWT_SECRET_KEY", "another key than the one that signed it")
    assert client.get(protected_url(app), headers=bearer(alice.access)).status_code == 401


def test_token_of_a_deleted_user_is_401(app, client, alice):
    probe_url = protected_url(app)
    with app.app_context():
        db.session.delete(db.session.get(User, alice.id))
        db.session.commit()
    assert client.get(probe_url, headers=bearer(alice.access)).status_code == 401


# --- forgot and reset password ------------------------------------------------------------------


def reset_token_from_mail(mail_catcher, email) -> str:
    body = mail_catcher.body_of(mail_catcher.last_to(email))
    match = re.search(r"http://localhost:3000/reset-password/([A-Za-z0-9_-]+)/", body)
    assert match, body
    return match.group(1)


def test_forgot_password_mails_a_link_and_reset_works_once(app, client, alice, mail_catcher):
    response = client.post(FORGOT, json={"email": "Alice@Example.com "})
    assert response.status_code == 200
    assert response.get_json() == {"message": "Password reset link has been sent to your email"}
    token = reset_token_from_mail(mail_catcher, alice.email)
    with app.app_context():
        assert token not in db.session.scalar(select(PasswordResetToken.token_hash))
    new = {"new_password": "brand-new-password", "confirm_password": "brand-new-password"}
    done = client.post(RESET.format(token), json=new)
    assert done.status_code == 200
    assert done.get_json() == {"message": "Your password has been successfully updated"}
    again = client.post(RESET.format(token), json=new)
    assert again.status_code == 400
    assert "token" in field_errors(again)
    ok = client.post(SIGNIN, json={"email": alice.email, "password": "brand-new-password"})
    assert ok.status_code == 200


def test_reset_revokes_all_existing_tokens(app, client, alice, mail_catcher):
    probe_url = protected_url(app)
    client.post(FORGOT, json={"email": alice.email})
    token = reset_token_from_mail(mail_catcher, alice.email)
    client.post(RESET.format(token), json={"new_password": "x" * 8, "confirm_password": "x" * 8})
    assert client.get(probe_url, headers=bearer(alice.access)).status_code == 401
    assert client.post(REFRESH, json={"refresh": alice.refresh}).status_code == 401


def test_forgot_password_does_not_reveal_accounts(client, make_account, mail_catcher):
    make_account("pending@example.com", is_active=False)
    unknown = client.post(FORGOT, json={"email": "nobody@example.com"})
    pending = client.post(FORGOT, json={"email": "pending@example.com"})
    assert unknown.status_code == pending.status_code == 200
    assert unknown.get_json() == pending.get_json()
    assert mail_catcher.inbox == []


def test_expired_reset_token_is_400(app, client, alice, mail_catcher):
    client.post(FORGOT, json={"email": alice.email})
    token = reset_token_from_mail(mail_catcher, alice.email)
    with app.app_context():
        db.session.execute(
            update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    body = {"new_password": "x" * 8, "confirm_password": "x" * 8}
    assert client.post(RESET.format(token), json=body).status_code == 400


def test_reset_with_mismatched_passwords_is_400(client):
    body = {"new_password": "x" * 8, "confirm_password": "y" * 8}
    response = client.post(RESET.format("whatever"), json=body)
    assert response.status_code == 400
    assert "confirm_password" in field_errors(response)


# --- Google ------------------------------------------------------------------------------------


def test_google_signin_creates_an_active_user(app, client, google_keys):
    response = client.post(GOOGLE, json={"token": google_keys.token()})
    assert response.status_code == 200
    assert set(response.get_json()) == {"access", "refresh"}
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "gina@example.com"))
        assert user.is_active and user.password_hash is None
        assert user.full_name == "Gina Rashidova"
    # An unusable password: password sign-in never works for this account.
    assert (
        client.post(SIGNIN, json={"email": "gina@example.com", "password": ""}).status_code == 400
    )


def test_google_signin_links_to_the_existing_account(app, client, google_keys, alice):
    response = client.post(GOOGLE, json={"token": google_keys.token(email=alice.email.upper())})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "someone-else"},
        {"iss": "https://evil.example.com"},
        {"exp": int(time.time()) - 60},
        {"email_verified": False},
    ],
)
def test_google_tokens_with_bad_claims_are_401(client, google_keys, overrides):
    response = client.post(GOOGLE, json={"token": google_keys.token(**overrides)})
    assert response.status_code == 401
    assert set(response.get_json()) == {"detail"}


def test_google_token_signed_by_another_key_is_401(client, google_keys):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "test-key-1"})
    assert client.post(GOOGLE, json={"token": google_keys.token(key=stranger)}).status_code == 401
    assert client.post(GOOGLE, json={"token": "not-a-jwt"}).status_code == 401


def test_google_keys_are_cached(client, google_keys):
    client.post(GOOGLE, json={"token": google_keys.token()})
    before = google_keys.requests
    client.post(GOOGLE, json={"token": google_keys.token(sub="2")})
    assert google_keys.requests == before


def test_google_signin_without_client_id_is_503(app, client, google_keys):
    app.config["GOOGLE_CLIENT_ID"] = None
    try:
        response = client.post(GOOGLE, json={"token": google_keys.token()})
    finally:
        app.config["GOOGLE_CLIENT_ID"] = "uzbekhub-test-client"
    assert response.status_code == 503


# --- throttles ----------------------------------------------------------------------------------


def test_email_verify_is_throttled_with_wait_seconds(client, throttled):
    answers = [client.post(VERIFY, json={"code": "12345"}) for _ in range(7)]
    assert [a.status_code for a in answers[:6]] == [400] * 6
    last = answers[6]
    assert last.status_code == 429
    body = last.get_json()
    assert body["message"] == "Request was throttled" and body["wait_seconds"] >= 1
    assert int(last.headers["Retry-After"]) == body["wait_seconds"]


def test_signin_is_throttled_per_account_across_addresses(app, client, throttled, alice):
    app.config["THROTTLE_SIGNIN_ACCOUNT_ALL"] = "10/hour"
    try:
        wrong = {"email": alice.email, "password": "wrong-password"}
        for n in range(10):
            env = {"REMOTE_ADDR": f"10.0.0.{n}"}
            assert client.post(SIGNIN, json=wrong, environ_base=env).status_code == 400
        blocked = client.post(SIGNIN, json=wrong, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    finally:
        app.config["THROTTLE_SIGNIN_ACCOUNT_ALL"] = "100/hour"
    assert blocked.status_code == 429


def protected_url(app) -> str:
    return "/api/accounts/account/profile/"


def decode_token_unverified(token: str) -> dict:
    return jwt_decode(token, options={"verify_signature": False})
