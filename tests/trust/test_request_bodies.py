"""Request bodies from an attacker: one strict reading of JSON for throttles and views,
nesting bombs, and bodies of a type the endpoint does not read."""

import logging

import pytest

from tests.support.factories import PASSWORD

SIGNIN = "/api/accounts/auth/signin/"


def post_raw(client, url, raw: bytes | str, content_type="application/json", headers=None):
    return client.post(url, data=raw, content_type=content_type, headers=headers or {})


def test_a_nan_email_beside_the_victims_cannot_dodge_the_account_throttle(client, alice):
    """The per-account throttle read the email with orjson (NaN: no email, so the client
    address was the key) while the view read the victim's with the standard parser."""
    body = f'{{"email": NaN, "email": "{alice.email}", "password": "{PASSWORD}"}}'
    response = post_raw(client, SIGNIN, body)
    assert response.status_code == 400
    assert "token" not in response.get_json()


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "a@example.com", "email": "b@example.com", "password": "x"}',
        '{"email": "a@example.com", "password": NaN}',
        '{"email": "a@example.com", "password": Infinity}',
        '{"email": "a@example.com", "password": -Infinity}',
        '{"email": "a@example.com", "password": {"x": 1, "x": 2}}',
    ],
)
def test_duplicate_keys_and_non_standard_numbers_are_a_400(client, body):
    response = post_raw(client, SIGNIN, body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "Invalid request data"
    assert response.get_json()["details"]["non_field_errors"][0].startswith("Invalid JSON body")


def test_the_account_throttle_counts_the_email_the_view_checks(client, alice, throttled, app):
    limit = int(app.config["THROTTLE_SIGNIN_ACCOUNT"].split("/")[0])
    for i in range(limit):
        # A different client address each time: only the per-account budget is spent.
        response = client.post(
            SIGNIN,
            json={"email": alice.email, "password": "wrong"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"},
        )
        assert response.status_code != 429, i
    trick = f'{{"email": NaN, "email": "{alice.email}", "password": "{PASSWORD}"}}'
    response = post_raw(client, SIGNIN, trick, headers={"X-Forwarded-For": "10.0.1.1"})
    assert response.status_code in (400, 429)
    assert "token" not in (response.get_json() or {})


def nested(depth: int) -> str:
    return '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'


@pytest.mark.parametrize("depth", [33, 1000, 5000])
def test_deeply_nested_json_is_a_400_with_one_log_line(client, caplog, depth):
    with caplog.at_level(logging.DEBUG):
        response = post_raw(client, SIGNIN, nested(depth))
    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.get_json()["details"]["non_field_errors"][0]
    assert len(caplog.records) == 1, [r.getMessage() for r in caplog.records]


def test_nesting_within_the_cap_reaches_the_schema(client):
    response = post_raw(client, SIGNIN, nested(31))
    assert response.status_code == 400
    assert "email" in response.get_json()["details"]


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        (SIGNIN, ["application/json"]),
        ("/api/accounts/auth/signup/", ["application/json"]),
    ],
)
def test_a_form_to_a_json_endpoint_is_a_415_naming_json(client, url, accepted):
    response = client.post(url, data={"email": "a@example.com", "password": "Secret123!"})
    assert response.status_code == 415
    sentence = response.get_json()["error"]
    assert "application/x-www-form-urlencoded" in sentence
    for media_type in accepted:
        assert media_type in sentence


def test_a_body_without_a_content_type_is_a_415(client):
    response = client.post(SIGNIN, data=b'{"email": "a@example.com", "password": "x"}')
    assert response.status_code == 415
    assert "application/json" in response.get_json()["error"]


def test_text_to_an_endpoint_of_json_or_forms_names_all_three(client, alice):
    response = post_raw(client, "/api/posts/post/", "hello", "text/plain", alice.headers)
    assert response.status_code == 415
    sentence = response.get_json()["error"]
    for media_type in ("application/json", "multipart/form-data", "x-www-form-urlencoded"):
        assert media_type in sentence


def test_json_to_a_multipart_endpoint_is_a_415_naming_forms(client, alice):
    response = client.post("/api/stories/active/", json={"caption": "x"}, headers=alice.headers)
    assert response.status_code == 415
    assert "multipart/form-data" in response.get_json()["error"]


def test_415_is_documented_for_every_operation_with_a_body(client):
    document = client.get("/openapi.json").get_json()
    operations = [
        operation
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    assert operations
    assert all("415" in operation["responses"] for operation in operations)


def test_an_empty_body_still_reads_as_none(client, alice):
    response = client.post("/api/accounts/auth/logout/", headers=alice.headers)
    assert response.status_code == 400
    assert "refresh" in response.get_json()["details"]
