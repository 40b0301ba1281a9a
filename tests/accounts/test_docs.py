"""The OpenAPI document describes every account endpoint, with its security."""

import pytest

BEARER = [{"bearerAuth": []}]
ENDPOINTS = [
    ("get", "/api/accounts/account/profile/"),
    ("patch", "/api/accounts/account/profile/"),
    ("get", "/api/accounts/account/check/username/"),
    ("post", "/api/accounts/account/change-email/"),
    ("post", "/api/accounts/account/change-email/confirm/"),
    ("post", "/api/accounts/account/delete/"),
    ("post", "/api/accounts/account/delete/confirm/"),
    ("get", "/api/accounts/account/search/{key}/"),
    ("get", "/api/accounts/account/user/{pk}/"),
    ("post", "/api/accounts/account/location/"),
    ("put", "/api/accounts/account/location/"),
    ("patch", "/api/accounts/account/location/"),
    ("delete", "/api/accounts/account/location/"),
    ("get", "/api/accounts/account/location/{distance}/"),
    ("get", "/api/accounts/account/block/"),
    ("post", "/api/accounts/account/block/"),
    ("get", "/api/accounts/account/block/{pk}/"),
    ("delete", "/api/accounts/account/block/{pk}/"),
    ("get", "/api/accounts/account/status/"),
    ("post", "/api/accounts/account/status/"),
    ("put", "/api/accounts/account/status/"),
    ("delete", "/api/accounts/account/status/"),
    ("get", "/api/accounts/account/contact/"),
    ("post", "/api/accounts/account/contact/"),
    ("get", "/api/accounts/account/contact/{pk}/"),
    ("put", "/api/accounts/account/contact/{pk}/"),
    ("patch", "/api/accounts/account/contact/{pk}/"),
    ("delete", "/api/accounts/account/contact/{pk}/"),
    ("get", "/api/accounts/admin/user/"),
    ("get", "/api/accounts/admin/user/{pk}/"),
    ("delete", "/api/accounts/admin/user/{pk}/"),
]


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/openapi.json").get_json()


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_each_endpoint_is_documented_as_needing_a_token(spec, method, path):
    operation = spec["paths"][path][method]
    assert operation["summary"]
    assert operation["security"] == BEARER
    assert "401" in operation["responses"]


def test_the_public_profile_is_documented_as_open(spec):
    operation = spec["paths"]["/api/accounts/account/profile/{username}/"]["get"]
    assert {} in operation["security"]
    assert {"404", "429"} <= set(operation["responses"])


def test_the_profile_patch_documents_both_body_types(spec):
    content = spec["paths"]["/api/accounts/account/profile/"]["patch"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(content)


def test_admin_endpoints_document_the_403(spec):
    for method, path in ENDPOINTS[-3:]:
        assert "403" in spec["paths"][path][method]["responses"]
