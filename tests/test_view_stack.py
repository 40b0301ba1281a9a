"""The one-line stack of a signed-in view (`Blueprint.signed_in`) keeps one order: the token
is checked first, then the view's checks (a per-user throttle, a feature switch), and only
then are its arguments read; Flask's question whether a view is a coroutine function is
answered once per function."""

import pytest

from uzbekhub import _is_coroutine_function

FEED = "/api/posts/post/"
LOCATION = "/api/accounts/account/location/"
PUSH_SUBSCRIPTIONS = "/api/notifications/push/subscriptions/"


def test_without_a_token_the_answer_is_401_before_any_check(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", None)
    response = client.post(PUSH_SUBSCRIPTIONS, json={"endpoint": 7})
    assert response.status_code == 401


def test_a_check_answers_before_the_arguments_are_read(app, client, alice, monkeypatch):
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", None)
    response = client.post(PUSH_SUBSCRIPTIONS, json={"endpoint": 7}, headers=alice.headers)
    assert response.status_code == 503


def test_a_refused_body_still_spends_the_per_user_budget(
    app, client, alice, throttled, monkeypatch
):
    monkeypatch.setitem(app.config, "THROTTLE_LOCATION", "1/hour")
    assert client.post(LOCATION, json={"lat": "north"}, headers=alice.headers).status_code == 400
    moved = client.post(LOCATION, json={"lat": 41.3, "long": 69.2}, headers=alice.headers)
    assert moved.status_code == 429


def test_whether_a_view_is_a_coroutine_function_is_asked_once(app, client, alice):
    client.get(FEED, headers=alice.headers)
    before = _is_coroutine_function.cache_info()
    assert client.get(FEED, headers=alice.headers).status_code == 200
    after = _is_coroutine_function.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits


def test_a_coroutine_function_is_still_handed_to_flasks_async_support(app):
    async def view():
        return "never sync"

    # Flask's async support needs the `async` extra, which the service does not install.
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(view)
