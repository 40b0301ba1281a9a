"""The OpenAPI document teaches: every body has an example that its own schema accepts, lists
and throttles document their headers, and the document describes the API and points to docs/."""

import json
import re
from copy import deepcopy
from pathlib import Path

import jsonschema_rs
import pytest

from tests.conftest import ROOT
from tests.support.openapi import operations, resolve


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/openapi.json").get_json()


def described_operations(spec):
    for path, method, operation in operations(spec):
        yield f"{method.upper()} {path}", operation


def json_schema(schema, components, *, direction):
    """OpenAPI 3.0 to JSON Schema: `nullable`, components inlined, read-only fields not sent in
    requests and write-only ones not answered, and no field the schema does not name."""
    schema = deepcopy(schema)
    if "$ref" in schema:
        name = schema.pop("$ref").rsplit("/", 1)[-1]
        schema = {**json_schema(components[name], components, direction=direction), **schema}
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            schema[key] = [json_schema(s, components, direction=direction) for s in schema[key]]
    if "items" in schema:
        schema["items"] = json_schema(schema["items"], components, direction=direction)
    if "properties" in schema:
        hidden = "readOnly" if direction == "request" else "writeOnly"
        properties = {
            name: json_schema(value, components, direction=direction)
            for name, value in schema["properties"].items()
            if not value.get(hidden)
        }
        schema["properties"] = properties
        schema["required"] = [name for name in schema.get("required", []) if name in properties]
        schema.setdefault("additionalProperties", False)
    if isinstance(schema.get("additionalProperties"), dict):
        schema["additionalProperties"] = json_schema(
            schema["additionalProperties"], components, direction=direction
        )
    if schema.pop("nullable", False):
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def bodies(spec):
    """(where, direction, media type object) for every request and response body."""
    for where, operation in described_operations(spec):
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{where} request {media_type}", "request", media
        for status, response in operation["responses"].items():
            for media_type, media in resolve(spec, response).get("content", {}).items():
                yield f"{where} {status} {media_type}", "response", media


def test_every_request_and_response_body_has_an_example(spec):
    missing = [where for where, _, media in bodies(spec) if "example" not in media]
    # A body that is JSON, or a form when files are sent, shows its example once, as JSON.
    assert [where for where in missing if "request multipart/form-data" not in where] == []
    for where, operation in described_operations(spec):
        content = operation.get("requestBody", {}).get("content", {})
        if "multipart/form-data" in content and "example" not in content["multipart/form-data"]:
            assert "example" in content["application/json"], where
    assert len(list(described_operations(spec))) > 90


def test_every_example_validates_against_its_schema(spec):
    components = spec["components"]["schemas"]
    problems = []
    for where, direction, media in bodies(spec):
        if "example" not in media:
            continue  # the form twin of a JSON body (above)
        schema = json_schema(media["schema"], components, direction=direction)
        validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        problems += [
            f"{where}: {error.message}" for error in validator.iter_errors(media["example"])
        ]
    assert problems == []


def test_an_example_that_breaks_its_schema_is_caught(spec):
    components = spec["components"]["schemas"]
    schema = json_schema({"$ref": "#/components/schemas/Post"}, components, direction="response")
    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    post = spec["paths"]["/api/posts/post/{post_id}/"]["get"]["responses"]["200"]
    example = post["content"]["application/json"]["example"]
    assert validator.is_valid(example)
    assert not validator.is_valid({**example, "id": "uuid-string"})
    assert not validator.is_valid({**example, "password": "x"})


def test_examples_are_the_api_documents_own_where_it_has_one(spec):
    signup = spec["paths"]["/api/accounts/auth/signup/"]["post"]
    assert signup["requestBody"]["content"]["application/json"]["example"] == {
        "email": "user@example.com",
        "password": "securePassword123",
        "confirm_password": "securePassword123",
    }
    assert signup["responses"]["201"]["content"]["application/json"]["example"] == {
        "status": True,
        "user": "user@example.com",
    }
    text = json.dumps(spec)
    assert "stringst" not in text and "additionalProp1" not in text


def test_requests_leave_out_what_the_server_fills_in(spec):
    location = spec["paths"]["/api/accounts/account/location/"]["post"]
    example = location["requestBody"]["content"]["application/json"]["example"]
    assert set(example) == {"lat", "long"}


def test_lists_document_their_total_and_link_headers(spec):
    lists = [
        (where, operation["responses"]["200"])
        for where, operation in described_operations(spec)
        if resolve(spec, operation["responses"].get("200", {}))
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
        .get("type")
        == "array"
    ]
    assert len(lists) > 15
    for where, response in lists:
        assert {"X-Total-Count", "Link"} <= set(response.get("headers", {})), where


def test_throttled_answers_document_retry_after(spec):
    throttled = [
        (where, resolve(spec, operation["responses"]["429"]))
        for where, operation in described_operations(spec)
        if "429" in operation["responses"]
    ]
    assert len(throttled) >= 8
    for where, response in throttled:
        assert "Retry-After" in response.get("headers", {}), where


def test_google_sign_in_documents_its_503(spec):
    google = spec["paths"]["/api/accounts/auth/oauth2/google/"]["post"]
    assert "503" in google["responses"]


@pytest.mark.parametrize(
    "path, method",
    [
        ("/api/accounts/account/profile/", "patch"),
        ("/api/posts/post/", "post"),
        ("/api/posts/post/{post_id}/", "patch"),
        ("/api/stories/active/", "post"),
        ("/api/chat/rooms/", "post"),
        ("/api/chat/rooms/{room_id}/", "patch"),
        ("/api/chat/files/", "post"),
    ],
)
def test_views_that_store_uploads_document_the_storage_outage_503(spec, path, method):
    answer = spec["paths"][path][method]["responses"]["503"]
    assert "media storage" in answer["description"]


def test_the_document_describes_the_api_and_points_to_the_reference(spec):
    description = spec["info"]["description"]
    for topic in ("Authorization: Bearer", "Errors", "Pagination", "Retry-After", "docs/"):
        assert topic in description
    assert (ROOT / "docs" / "README.md").is_file()


# A name ending in `.md`, as prose and code write one (`docs/tokens.md`, "SECURITY.md").
DOCUMENT_NAME = re.compile(r"[A-Za-z0-9_./-]*[A-Za-z0-9_]\.md\b")
NOT_THE_PROJECTS = {".venv", ".git", "instance", ".pytest_cache", ".ruff_cache", "node_modules"}


def repository_files():
    for path in ROOT.rglob("*"):
        if path.is_file() and not NOT_THE_PROJECTS.intersection(path.relative_to(ROOT).parts):
            yield path


def test_nothing_in_the_repository_names_a_document_it_does_not_have(spec):
    documents = {path.name for path in repository_files() if path.suffix == ".md"}
    named = {("/openapi.json", name) for name in DOCUMENT_NAME.findall(json.dumps(spec))}
    for path in repository_files():
        if path.suffix in {".py", ".md", ".txt", ".toml", ".ini", ".mako", ""}:
            text = path.read_text(errors="ignore")
            named |= {(str(path.relative_to(ROOT)), name) for name in DOCUMENT_NAME.findall(text)}
    assert named, "the check found no document names at all"
    assert [(where, name) for where, name in named if Path(name).name not in documents] == []
