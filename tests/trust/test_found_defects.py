"""Regression tests for the defects the trust tests found, one test (or a few) per defect."""

from tests.accounts.helpers import public_url, update_user


def test_a_signed_in_user_previews_their_own_public_profile(client, alice):
    signed_in = client.get(public_url(alice.username), headers=alice.headers)
    anonymous = client.get(public_url(alice.username))
    assert signed_in.status_code == anonymous.status_code == 200
    assert signed_in.get_json() == anonymous.get_json()


def test_a_private_users_own_public_profile_stays_hidden_like_for_anyone(client, app, alice):
    update_user(app, alice, is_private=True)
    assert client.get(public_url(alice.username), headers=alice.headers).status_code == 404
    assert client.get(public_url(alice.username)).status_code == 404
