"""Accounts 10-13: change email and delete account, each confirmed by a mailed code."""

from datetime import timedelta

from sqlalchemy import func, select, update

from tests.accounts.helpers import (
    BLOCKS,
    CHANGE_EMAIL,
    CHANGE_EMAIL_CONFIRM,
    CONTACTS,
    DELETE,
    DELETE_CONFIRM,
    PROFILE,
    SIGNIN,
    SIGNUP,
    set_location,
    set_status,
    upload,
    user_row,
)
from tests.support.answers import field_errors
from tests.support.factories import add_contact, block
from tests.support.images import image_bytes
from uzbekhub.accounts.models import Block, Contact, Location, Status, User, VerificationCode
from uzbekhub.common.db import utcnow
from uzbekhub.extensions import db


def request_change(client, account, new_email="fresh@example.com", password=None):
    return client.post(
        CHANGE_EMAIL,
        json={"new_email": new_email, "password": password or account.password},
        headers=account.headers,
    )


def request_deletion(client, account, password=None):
    return client.post(
        DELETE, json={"password": password or account.password}, headers=account.headers
    )


def age_codes(app, seconds=61):
    """Pretend the last code was sent a while ago (the resend interval is 60 s)."""
    with app.app_context():
        db.session.execute(
            update(VerificationCode).values(created_at=utcnow() - timedelta(seconds=seconds))
        )
        db.session.commit()


def expire_codes(app):
    with app.app_context():
        db.session.execute(
            update(VerificationCode).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- change email ----------------------------------------------------------------------------------


def test_change_email_mails_a_code_to_the_new_address(client, alice, mail_catcher):
    response = request_change(client, alice, "  Fresh@Example.COM ")
    assert response.status_code == 200
    assert response.get_json() == {
        "message": "A verification code has been sent to your new email address "
        "to update your email."
    }
    assert mail_catcher.code_for("fresh@example.com")
    assert not mail_catcher.messages_to(alice.email)


def test_confirming_the_code_changes_the_email(client, alice, mail_catcher):
    request_change(client, alice)
    code = mail_catcher.code_for("fresh@example.com")
    response = client.post(CHANGE_EMAIL_CONFIRM, json={"code": code}, headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json() == {"message": "Email successfully updated"}
    assert client.get(PROFILE, headers=alice.headers).get_json()["email"] == "fresh@example.com"
    new = client.post(SIGNIN, json={"email": "fresh@example.com", "password": alice.password})
    assert new.status_code == 200
    old = client.post(SIGNIN, json={"email": alice.email, "password": alice.password})
    assert old.status_code == 400


def test_nothing_changes_before_the_code_is_confirmed(client, alice):
    request_change(client, alice)
    assert client.get(PROFILE, headers=alice.headers).get_json()["email"] == alice.email


def test_change_email_needs_the_right_password(client, alice, mail_catcher):
    response = request_change(client, alice, password="wrong-password")
    assert "password" in field_errors(response)
    assert not mail_catcher.inbox


def test_change_email_to_an_email_of_another_user_in_any_case_is_400(client, alice, bob):
    response = request_change(client, alice, bob.email.upper())
    assert "new_email" in field_errors(response)


def test_change_email_to_the_same_email_is_400(client, alice):
    assert "new_email" in field_errors(request_change(client, alice, alice.email))


def test_change_email_body_is_validated(client, alice):
    for body, field in [
        ({"password": alice.password}, "new_email"),
        ({"new_email": "not-an-email", "password": alice.password}, "new_email"),
        ({"new_email": "x@example.com"}, "password"),
        ({"new_email": "x@example.com", "password": "p" * 129}, "password"),
    ]:
        response = client.post(CHANGE_EMAIL, json=body, headers=alice.headers)
        assert field in field_errors(response), body


def test_a_change_email_code_of_another_user_does_not_confirm_mine(
    client, alice, bob, mail_catcher
):
    request_change(client, alice, "alice2@example.com")
    request_change(client, bob, "bob2@example.com")
    bobs_code = mail_catcher.code_for("bob2@example.com")
    response = client.post(CHANGE_EMAIL_CONFIRM, json={"code": bobs_code}, headers=alice.headers)
    assert "code" in field_errors(response)
    assert client.get(PROFILE, headers=alice.headers).get_json()["email"] == alice.email
    # Bob's request is untouched and still his to confirm.
    mine = client.post(CHANGE_EMAIL_CONFIRM, json={"code": bobs_code}, headers=bob.headers)
    assert mine.status_code == 200


def test_confirm_with_nothing_pending_is_400(client, alice):
    response = client.post(CHANGE_EMAIL_CONFIRM, json={"code": "12345"}, headers=alice.headers)
    assert "code" in field_errors(response)


def test_an_expired_change_email_code_is_400(app, client, alice, mail_catcher):
    request_change(client, alice)
    code = mail_catcher.code_for("fresh@example.com")
    expire_codes(app)
    response = client.post(CHANGE_EMAIL_CONFIRM, json={"code": code}, headers=alice.headers)
    assert "code" in field_errors(response)


def test_a_change_email_code_works_once(client, alice, mail_catcher):
    request_change(client, alice)
    code = mail_catcher.code_for("fresh@example.com")
    assert (
        client.post(CHANGE_EMAIL_CONFIRM, json={"code": code}, headers=alice.headers).status_code
        == 200
    )
    again = client.post(CHANGE_EMAIL_CONFIRM, json={"code": code}, headers=alice.headers)
    assert "code" in field_errors(again)


def test_an_email_taken_after_the_request_is_refused_at_confirmation(
    client, alice, make_account, mail_catcher
):
    request_change(client, alice, "contested@example.com")
    code = mail_catcher.code_for("contested@example.com")
    make_account("contested@example.com")
    response = client.post(CHANGE_EMAIL_CONFIRM, json={"code": code}, headers=alice.headers)
    assert "code" in field_errors(response)
    assert client.get(PROFILE, headers=alice.headers).get_json()["email"] == alice.email


def test_a_new_code_within_a_minute_is_429(app, client, alice, mail_catcher):
    request_change(client, alice)
    too_soon = request_change(client, alice, "other@example.com")
    assert too_soon.status_code == 429
    assert too_soon.get_json()["wait_seconds"] > 0
    age_codes(app)
    assert request_change(client, alice, "other@example.com").status_code == 200
    # Only the newest request counts.
    code = mail_catcher.code_for("other@example.com")
    assert (
        client.post(CHANGE_EMAIL_CONFIRM, json={"code": code}, headers=alice.headers).status_code
        == 200
    )
    assert client.get(PROFILE, headers=alice.headers).get_json()["email"] == "other@example.com"


def test_a_delete_account_code_does_not_change_the_email(client, alice, mail_catcher):
    request_deletion(client, alice)
    code = mail_catcher.code_for(alice.email)
    response = client.post(CHANGE_EMAIL_CONFIRM, json={"code": code}, headers=alice.headers)
    assert "code" in field_errors(response)


def test_change_email_needs_a_token(client):
    assert (
        client.post(CHANGE_EMAIL, json={"new_email": "a@b.cd", "password": "x" * 8}).status_code
        == 401
    )
    assert client.post(CHANGE_EMAIL_CONFIRM, json={"code": "12345"}).status_code == 401


# --- delete account --------------------------------------------------------------------------------


def test_delete_request_mails_a_code_to_the_account(client, alice, mail_catcher):
    response = request_deletion(client, alice)
    assert response.status_code == 200
    assert response.get_json() == {"message": "Verification code sent to email"}
    assert mail_catcher.code_for(alice.email)


def test_delete_request_needs_the_right_password(app, client, alice, mail_catcher):
    assert "password" in field_errors(request_deletion(client, alice, "wrong-password"))
    assert "password" in field_errors(client.post(DELETE, json={}, headers=alice.headers))
    assert not mail_catcher.inbox
    assert user_row(app, alice.id) is not None


def test_confirming_deletes_the_account_for_good(app, client, alice, mail_catcher):
    request_deletion(client, alice)
    code = mail_catcher.code_for(alice.email)
    response = client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers)
    assert response.status_code == 204
    assert response.data == b""
    assert user_row(app, alice.id) is None
    assert client.get(PROFILE, headers=alice.headers).status_code == 401
    again = client.post(SIGNIN, json={"email": alice.email, "password": alice.password})
    assert again.status_code == 400


def test_a_deleted_email_may_sign_up_again(client, alice, mail_catcher):
    request_deletion(client, alice)
    code = mail_catcher.code_for(alice.email)
    client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers)
    response = client.post(
        SIGNUP,
        json={
            "email": alice.email,
            "password": "fresh-start-1",
            "confirm_password": "fresh-start-1",
        },
    )
    assert response.status_code == 201


def test_deletion_takes_every_row_of_the_account_along(app, client, alice, bob, mail_catcher):
    set_location(app, alice, 41.3, 69.2)
    set_status(app, alice, "leaving")
    add_contact(app, alice, bob)
    add_contact(app, bob, alice)
    block(app, bob, alice)
    request_deletion(client, alice)
    code = mail_catcher.code_for(alice.email)
    assert (
        client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers).status_code == 204
    )
    for model in (Location, Status, Contact, Block, VerificationCode):
        assert count(app, model) == 0, model
    assert count(app, User) == 1
    assert client.get(CONTACTS, headers=bob.headers).get_json() == []
    assert client.get(BLOCKS, headers=bob.headers).get_json() == []


def test_deletion_removes_the_profile_picture_file(client, alice, mail_catcher):
    picture = (
        client.patch(
            PROFILE,
            data={"profile_picture": upload(image_bytes())},
            headers=alice.headers,
            content_type="multipart/form-data",
        )
        .get_json()["profile_picture"]
        .removeprefix("http://localhost")
    )
    request_deletion(client, alice)
    code = mail_catcher.code_for(alice.email)
    client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers)
    assert client.get(picture).status_code == 404


def test_a_replayed_delete_code_deletes_nothing_more(app, client, alice, mail_catcher):
    request_deletion(client, alice)
    code = mail_catcher.code_for(alice.email)
    assert (
        client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers).status_code == 204
    )
    replay = client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers)
    assert replay.status_code == 401


def test_a_superseded_delete_code_is_refused(app, client, alice, mail_catcher, issued_codes):
    issued_codes("11111", "22222")
    request_deletion(client, alice)
    first = mail_catcher.code_for(alice.email)
    age_codes(app)
    request_deletion(client, alice)
    second = mail_catcher.code_for(alice.email)
    stale = client.post(DELETE_CONFIRM, json={"code": first}, headers=alice.headers)
    assert "code" in field_errors(stale)
    assert user_row(app, alice.id) is not None
    assert (
        client.post(DELETE_CONFIRM, json={"code": second}, headers=alice.headers).status_code == 204
    )


def test_a_delete_code_of_another_user_deletes_nobody(app, client, alice, bob, mail_catcher):
    request_deletion(client, bob)
    bobs_code = mail_catcher.code_for(bob.email)
    response = client.post(DELETE_CONFIRM, json={"code": bobs_code}, headers=alice.headers)
    assert "code" in field_errors(response)
    assert user_row(app, alice.id) is not None and user_row(app, bob.id) is not None


def test_a_change_email_code_does_not_delete_the_account(app, client, alice, mail_catcher):
    request_change(client, alice)
    code = mail_catcher.code_for("fresh@example.com")
    response = client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers)
    assert "code" in field_errors(response)
    assert user_row(app, alice.id) is not None


def test_wrong_delete_codes_are_throttled(
    app, client, alice, mail_catcher, throttled, issued_codes
):
    issued_codes("11111")
    app.config["THROTTLE_CODE_CONFIRM"] = "100/minute"
    try:
        request_deletion(client, alice)
        code = mail_catcher.code_for(alice.email)
        for _ in range(10):
            answer = client.post(DELETE_CONFIRM, json={"code": "00000"}, headers=alice.headers)
            assert "code" in field_errors(answer)
        response = client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers)
    finally:
        app.config["THROTTLE_CODE_CONFIRM"] = "6/minute"
    assert response.status_code == 429
    assert user_row(app, alice.id) is not None


def test_a_second_delete_request_within_a_minute_is_429(client, alice):
    request_deletion(client, alice)
    assert request_deletion(client, alice).status_code == 429


def test_malformed_delete_codes_are_400(client, alice):
    for code in ("1234", "abcde", 12345, None):
        response = client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers)
        assert "code" in field_errors(response)


def test_delete_needs_a_token(client):
    assert client.post(DELETE, json={"password": "whatever-1"}).status_code == 401
    assert client.post(DELETE_CONFIRM, json={"code": "12345"}).status_code == 401


def test_other_domains_hear_of_a_deletion_before_it_happens(
    app, client, alice, mail_catcher, monkeypatch
):
    from uzbekhub.accounts import users

    heard = []

    def hook(user_id):
        with_row = db.session.get(User, user_id) is not None
        heard.append((user_id, with_row))

    monkeypatch.setattr(users, "_deletion_hooks", [])
    users.on_user_deleted(hook)
    request_deletion(client, alice)
    code = mail_catcher.code_for(alice.email)
    client.post(DELETE_CONFIRM, json={"code": code}, headers=alice.headers)
    assert heard == [(alice.id, True)]


def test_code_confirmations_are_throttled(app, client, alice, throttled, monkeypatch):
    monkeypatch.setitem(app.config, "THROTTLE_CODE_CONFIRM", "2/minute")
    for _ in range(2):
        client.post(DELETE_CONFIRM, json={"code": "12345"}, headers=alice.headers)
    response = client.post(CHANGE_EMAIL_CONFIRM, json={"code": "12345"}, headers=alice.headers)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert user_row(app, alice.id) is not None
