"""The OpenAPI document describes every API operation completely enough to fuzz it.

Each operation has a summary, its security, a success answer with a schema, request bodies
with schemas, and error answers whose bodies are the error schemas of docs/errors.md.
The authorisation matrix checks that every status it meets is documented; schemathesis
checks that the answers match these schemas.
"""

import pytest

from tests.support.openapi import operations, resolve

ERROR_SCHEMAS = {"Error", "ValidationError", "AuthError", "Throttled"}


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/openapi.json").get_json()


def schema_names(schema: dict) -> set[str]:
    if "$ref" in schema:
        return {schema["$ref"].rsplit("/", 1)[-1]}
    names = set()
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        names |= schema_names(option)
    return names or {"<inline>"}


def test_the_document_lists_every_api_route(app, spec):
    documented = {path for path, *_ in operations(spec)}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(
                    path[path.index("<") : path.index(">") + 1], "{" + name + "}", 1
                )
            assert path in documented, rule.rule


def test_every_operation_has_a_summary_and_its_security(spec):
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert "security" in operation, where
        if {"bearerAuth": []} in operation["security"]:
            assert "401" in operation["responses"], where


def test_every_operation_documents_its_success_with_a_schema(spec):
    for path, method, operation in operations(spec):
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert successes, f"{method.upper()} {path}"
        for code in successes:
            response = resolve(spec, operation["responses"][code])
            if code != "204":
                assert response["content"]["application/json"]["schema"], (path, method, code)


def test_every_request_body_has_a_schema_and_a_400(spec):
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        body = operation.get("requestBody")
        if body:
            for content_type, media in body["content"].items():
                assert resolve(spec, media["schema"]), (where, content_type)
            assert {"400", "413"} <= set(operation["responses"]), where
        queries = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        if queries:
            assert "400" in operation["responses"], where


def test_every_error_answer_is_one_of_the_error_formats(spec):
    for path, method, operation in operations(spec):
        assert "default" in operation["responses"], f"{method.upper()} {path}"
        for code, response in operation["responses"].items():
            if code == "default" or int(code) >= 400:
                schema = resolve(spec, response)["content"]["application/json"]["schema"]
                names = schema_names(schema)
                assert names <= ERROR_SCHEMAS, (path, method, code, names)


def test_the_error_formats_are_those_of_design_section_3(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["ValidationError"]["required"] == ["details", "error"]
    assert schemas["AuthError"]["required"] == ["detail"]
    assert schemas["Throttled"]["required"] == ["message", "wait_seconds"]
    responses = spec["components"]["responses"]
    assert resolve(spec, responses["BAD_REQUEST"])["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
