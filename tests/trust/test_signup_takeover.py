"""Taking over an address before its owner signs up, from the attacker's side: a pending
sign-up's password must never become the owner's, whether the owner then signs in with
Google or signs up themselves."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from uzbekhub.accounts.models import User, VerificationCode
from uzbekhub.common.db import utcnow
from uzbekhub.extensions import db

AUTH = "/api/accounts/auth"
SIGNUP, VERIFY, SIGNIN = f"{AUTH}/signup/", f"{AUTH}/email-verify/", f"{AUTH}/signin/"
GOOGLE = f"{AUTH}/oauth2/google/"
VICTIM = "gina@example.com"  # the address the test Google tokens vouch for
ATTACKER_PASSWORD = "attacker-chose-this"
VICTIM_PASSWORD = "victim-chose-this"


def sign_up(client, password: str, email: str = VICTIM):
    body = {"email": email, "password": password, "confirm_password": password}
    return client.post(SIGNUP, json=body)


def sign_in(client, password: str, email: str = VICTIM):
    return client.post(SIGNIN, json={"email": email, "password": password})


def a_minute_later(app) -> None:
    """The one-minute wait between two sign-ups of one address has passed."""
    with app.app_context():
        db.session.execute(
            update(VerificationCode).values(created_at=utcnow() - timedelta(seconds=61))
        )
        db.session.commit()


def codes_in_mails(mail_catcher, email: str = VICTIM) -> list[str]:
    bodies = [mail_catcher.body_of(m) for m in mail_catcher.inbox if email in str(m["To"])]
    return [re.search(r"\b(\d{5})\b", body).group(1) for body in bodies]


# --- Google sign-in of a pending address (trust issue, item 2) -----------------------------------


def test_google_sign_in_discards_the_password_of_a_pending_sign_up(
    app, client, google_keys, mail_catcher
):
    assert sign_up(client, ATTACKER_PASSWORD).status_code == 201
    attackers_code = mail_catcher.code_for(VICTIM)
    google = client.post(GOOGLE, json={"token": google_keys.token()})
    assert google.status_code == 200
    assert sign_in(client, ATTACKER_PASSWORD).status_code == 400
    refused = client.post(VERIFY, json={"email": VICTIM, "code": attackers_code})
    assert refused.status_code == 400
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == VICTIM))
        assert user.is_active and user.password_hash is None
    profile = client.get(
        "/api/accounts/account/profile/",
        headers={"Authorization": f"Bearer {google.get_json()['access']}"},
    )
    assert profile.status_code == 200


def test_google_sign_in_discards_every_pending_attempt(app, client, google_keys, mail_catcher):
    sign_up(client, ATTACKER_PASSWORD)
    a_minute_later(app)
    sign_up(client, "another-attacker-pw")
    assert client.post(GOOGLE, json={"token": google_keys.token()}).status_code == 200
    for password in (ATTACKER_PASSWORD, "another-attacker-pw"):
        assert sign_in(client, password).status_code == 400
    for code in codes_in_mails(mail_catcher):
        assert client.post(VERIFY, json={"code": code}).status_code == 400


# --- a second sign-up of a pending address (trust issue, item 3) ---------------------------------


def test_a_second_sign_up_does_not_swap_the_password_of_the_first(app, client, mail_catcher):
    assert sign_up(client, VICTIM_PASSWORD).status_code == 201
    victims_code = mail_catcher.code_for(VICTIM)
    a_minute_later(app)
    assert sign_up(client, ATTACKER_PASSWORD).status_code == 201
    assert client.post(VERIFY, json={"email": VICTIM, "code": victims_code}).status_code == 200
    assert sign_in(client, VICTIM_PASSWORD).status_code == 200
    assert sign_in(client, ATTACKER_PASSWORD).status_code == 400


def test_each_code_activates_only_the_password_of_its_own_sign_up(app, client, mail_catcher):
    sign_up(client, VICTIM_PASSWORD)
    a_minute_later(app)
    sign_up(client, ATTACKER_PASSWORD)
    victims_code, attackers_code = codes_in_mails(mail_catcher)
    assert victims_code != attackers_code
    assert client.post(VERIFY, json={"code": attackers_code}).status_code == 200
    assert sign_in(client, ATTACKER_PASSWORD).status_code == 200
    assert sign_in(client, VICTIM_PASSWORD).status_code == 400
    # Verifying one attempt discards the others.
    assert client.post(VERIFY, json={"code": victims_code}).status_code == 400
    assert sign_in(client, ATTACKER_PASSWORD).status_code == 200


def test_the_verification_mail_says_when_its_sign_up_was_made(client, mail_catcher):
    sign_up(client, VICTIM_PASSWORD)
    body = mail_catcher.body_of(mail_catcher.last_to(VICTIM))
    made = re.search(r"made on (\d{2} \w+ \d{4} at \d{2}:\d{2}) UTC", body)
    assert made, body
    when = datetime.strptime(made.group(1), "%d %B %Y at %H:%M").replace(tzinfo=UTC)
    assert abs(when - utcnow()) < timedelta(minutes=2)


def test_a_pending_account_answers_403_to_the_password_of_any_of_its_sign_ups(
    app, client, mail_catcher
):
    sign_up(client, VICTIM_PASSWORD)
    a_minute_later(app)
    sign_up(client, ATTACKER_PASSWORD)
    assert sign_in(client, VICTIM_PASSWORD).status_code == 403
    assert sign_in(client, ATTACKER_PASSWORD).status_code == 403
    assert sign_in(client, "neither-of-them").status_code == 400


def test_a_code_left_over_on_an_active_account_changes_nothing(app, client, mail_catcher):
    sign_up(client, ATTACKER_PASSWORD)
    code = mail_catcher.code_for(VICTIM)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == VICTIM))
        user.is_active = True
        db.session.commit()
    assert client.post(VERIFY, json={"code": code}).status_code == 400
    assert sign_in(client, ATTACKER_PASSWORD).status_code == 400
