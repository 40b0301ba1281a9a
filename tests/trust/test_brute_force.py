"""Guessing codes, reset tokens and passwords: the throttles hold whoever and wherever the
guesses come from (attempts counted per code and per user, not only per client address)."""

import re
from datetime import timedelta

import pytest

from tests.support.factories import PASSWORD
from uzbekhub.accounts import codes
from uzbekhub.extensions import limiter

AUTH = "/api/accounts/auth"
VERIFY = f"{AUTH}/email-verify/"
SIGNIN = f"{AUTH}/signin/"
CHANGE_EMAIL = "/api/accounts/account/change-email/"
CHANGE_EMAIL_CONFIRM = "/api/accounts/account/change-email/confirm/"


def from_address(n: int) -> dict:
    return {"REMOTE_ADDR": f"198.51.100.{n % 250}", "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}


@pytest.fixture
def budgets(app, throttled, monkeypatch):
    """Throttles on, per-address limits out of the way: only the budgets under test count."""
    for scope in ("EMAIL_VERIFY", "SIGNUP", "CODE_CONFIRM"):
        monkeypatch.setitem(app.config, f"THROTTLE_{scope}", "1000/minute")

    def set_budget(scope: str, value: str) -> None:
        monkeypatch.setitem(app.config, f"THROTTLE_{scope}", value)

    return set_budget


def sign_up(client, email: str, n: int = 0):
    body = {"email": email, "password": PASSWORD, "confirm_password": PASSWORD}
    response = client.post(f"{AUTH}/signup/", json=body, environ_base=from_address(n))
    assert response.status_code == 201, response.get_data()


def wrong(code: str) -> str:
    return "00000" if code != "00000" else "11111"


def test_code_only_guesses_from_many_addresses_share_one_budget(client, mail_catcher, budgets):
    budgets("CODE_ONLY_GUESSES", "3/hour")
    sign_up(client, "target@example.com")
    code = mail_catcher.code_for("target@example.com")
    for n in range(3):
        guess = client.post(VERIFY, json={"code": wrong(code)}, environ_base=from_address(n))
        assert guess.status_code == 400
    # Spent: even the right code is not tried any more without the email...
    refused = client.post(VERIFY, json={"code": code}, environ_base=from_address(9))
    assert refused.status_code == 429
    assert refused.get_json()["wait_seconds"] > 0
    # ...which still works: that path counts guesses per user.
    answer = client.post(VERIFY, json={"email": "target@example.com", "code": code})
    assert answer.status_code == 200


def test_wrong_codes_count_per_user_across_new_codes_and_addresses(
    client, mail_catcher, budgets, monkeypatch
):
    """A new code every minute and a new address for every guess: the user's budget holds."""
    budgets("CODE_GUESSES_ALL", "7/hour")
    monkeypatch.setattr(codes, "RESEND_INTERVAL", timedelta(0))
    email = "victim@example.com"
    guesses = 0
    for round_ in range(2):
        sign_up(client, email, round_)
        code = mail_catcher.code_for(email)
        for _ in range(5 if round_ == 0 else 2):
            body = {"email": email, "code": wrong(code)}
            answer = client.post(VERIFY, json=body, environ_base=from_address(guesses))
            assert answer.status_code == 400
            guesses += 1
    refused = client.post(VERIFY, json={"email": email, "code": code})
    assert refused.status_code == 429
    assert guesses == 7


def test_wrong_codes_from_one_address_do_not_spend_the_owners_budget(client, mail_catcher, budgets):
    """Someone else guessing the owner's sign-up code is stopped; the owner still verifies."""
    budgets("CODE_GUESSES", "3/hour")
    email = "victim@example.com"
    sign_up(client, email, 1)
    code = mail_catcher.code_for(email)
    attacker = from_address(66)
    for _ in range(3):
        body = {"email": email, "code": wrong(code)}
        assert client.post(VERIFY, json=body, environ_base=attacker).status_code == 400
    stopped = client.post(VERIFY, json={"email": email, "code": code}, environ_base=attacker)
    assert stopped.status_code == 429
    owner = client.post(VERIFY, json={"email": email, "code": code}, environ_base=from_address(1))
    assert owner.status_code == 200


def test_many_wrong_codes_do_not_kill_the_owners_code(client, mail_catcher, budgets):
    email = "victim@example.com"
    sign_up(client, email, 1)
    code = mail_catcher.code_for(email)
    for n in range(8):
        body = {"email": email, "code": wrong(code)}
        assert client.post(VERIFY, json=body, environ_base=from_address(100 + n)).status_code == 400
    owner = client.post(VERIFY, json={"email": email, "code": code}, environ_base=from_address(1))
    assert owner.status_code == 200


def test_confirmation_codes_count_per_user_across_addresses(client, alice, mail_catcher, budgets):
    budgets("CODE_GUESSES_ALL", "4/hour")
    body = {"new_email": "alice.new@example.com", "password": PASSWORD}
    assert client.post(CHANGE_EMAIL, json=body, headers=alice.headers).status_code == 200
    code = mail_catcher.code_for("alice.new@example.com")
    for n in range(4):
        answer = client.post(
            CHANGE_EMAIL_CONFIRM,
            json={"code": wrong(code)},
            headers=alice.headers,
            environ_base=from_address(n),
        )
        assert answer.status_code == 400
    refused = client.post(CHANGE_EMAIL_CONFIRM, json={"code": code}, headers=alice.headers)
    assert refused.status_code == 429


def test_one_users_spent_budget_does_not_lock_out_another(client, mail_catcher, budgets):
    budgets("CODE_GUESSES_ALL", "2/hour")
    sign_up(client, "one@example.com", 1)
    sign_up(client, "two@example.com", 2)
    one = mail_catcher.code_for("one@example.com")
    for _ in range(2):
        client.post(VERIFY, json={"email": "one@example.com", "code": wrong(one)})
    two = mail_catcher.code_for("two@example.com")
    assert client.post(VERIFY, json={"email": "two@example.com", "code": two}).status_code == 200


def test_reset_tokens_are_too_long_to_guess_and_guesses_are_throttled(
    client, alice, mail_catcher, throttled
):
    client.post(f"{AUTH}/forgot-password/", json={"email": alice.email})
    body = mail_catcher.body_of(mail_catcher.last_to(alice.email))
    token = re.search(r"/reset-password/([^/\s]+)/", body).group(1)
    assert len(token) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)  # 256 bits
    new = {"new_password": "brand-new-pass-1", "confirm_password": "brand-new-pass-1"}
    answers = [client.post(f"{AUTH}/reset-password/{token[:-1]}x{n}/", json=new) for n in range(7)]
    assert [a.status_code for a in answers] == [400] * 6 + [429]
    # The guesses did not harm the real link.
    limiter.reset()
    assert client.post(f"{AUTH}/reset-password/{token}/", json=new).status_code == 200


def test_signin_is_throttled_per_address_across_accounts(client, make_account, throttled):
    accounts = [make_account() for _ in range(11)]
    answers = [
        client.post(SIGNIN, json={"email": a.email, "password": "wrong-password"}) for a in accounts
    ]
    assert [a.status_code for a in answers] == [400] * 10 + [429]


def test_a_throttled_signin_does_not_check_the_password(client, alice, throttled):
    for _ in range(10):
        client.post(SIGNIN, json={"email": alice.email, "password": "wrong-password"})
    right = client.post(SIGNIN, json={"email": alice.email, "password": PASSWORD})
    assert right.status_code == 429
    assert "token" not in right.get_json()


def wrong_password_for(account) -> dict:
    return {"email": account.email, "password": "wrong-password"}


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(client, alice, throttled):
    attacker = from_address(66)
    for _ in range(10):
        answer = client.post(SIGNIN, json=wrong_password_for(alice), environ_base=attacker)
        assert answer.status_code == 400
    right = {"email": alice.email, "password": PASSWORD}
    assert client.post(SIGNIN, json=right, environ_base=attacker).status_code == 429
    assert client.post(SIGNIN, json=right, environ_base=from_address(1)).status_code == 200


def test_successful_sign_ins_are_not_counted(client, alice, budgets):
    budgets("SIGNIN", "1000/minute")
    right = {"email": alice.email, "password": PASSWORD}
    answers = [client.post(SIGNIN, json=right).status_code for _ in range(25)]
    assert answers == [200] * 25
    assert client.post(SIGNIN, json=wrong_password_for(alice)).status_code == 400


def test_wrong_passwords_from_many_addresses_meet_the_accounts_budget(client, alice, budgets):
    budgets("SIGNIN_ACCOUNT_ALL", "20/hour")
    for n in range(20):
        answer = client.post(SIGNIN, json=wrong_password_for(alice), environ_base=from_address(n))
        assert answer.status_code == 400
    right = {"email": alice.email, "password": PASSWORD}
    assert client.post(SIGNIN, json=right, environ_base=from_address(99)).status_code == 429
