"""Every route answers directly with and without its trailing slash: a browser's CORS preflight
and request reach the route, never a redirect (which a browser refuses for a preflight).

Plain HTTP against `python wsgi.py`, as a browser page at another origin sends it.
"""

import http.client
import json
import re
import uuid
from urllib.parse import urlsplit

import pytest

ORIGIN = "http://frontend.example"
# A value for each path argument: by its converter, strings by their name.
SAMPLES = {
    "int": "1",
    "uuid": str(uuid.UUID(int=1)),
    "distance": "5",
    "key": "ali",
    "username": "nobody_here",
    "reset_link": "x" * 43,
}
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
SKIPPED_PREFIXES = ("/media/", "/docs-static/", "/ws/")
BODY_METHODS = {"POST", "PUT", "PATCH"}


def routes(app):
    """(path as the rule writes it, its methods) of every HTTP route that names no file."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(SKIPPED_PREFIXES):
            continue
        path = ARGUMENT.sub(lambda m: SAMPLES.get(m[1]) or SAMPLES[m[2]], rule.rule)
        yield path, sorted(rule.methods - {"HEAD", "OPTIONS"})


def both_forms(path: str) -> list[str]:
    if path == "/":
        return [path]
    return [path, path.rstrip("/") if path.endswith("/") else path + "/"]


def request(base, method, path, headers=None, body=None):
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=20)
    try:
        connection.request(method, path, body=body, headers={"Origin": ORIGIN, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def every_route(app):
    found = list(routes(app))
    assert len(found) > 60
    return found


def test_converters_are_all_sampled(every_route):
    assert all("<" not in path for path, _ in every_route)


def test_preflights_are_answered_directly_with_and_without_the_slash(live_server, every_route):
    for path, methods in every_route:
        for method in methods:
            for form in both_forms(path):
                status, headers, _ = request(
                    live_server,
                    "OPTIONS",
                    form,
                    {
                        "Access-Control-Request-Method": method,
                        "Access-Control-Request-Headers": "authorization,content-type",
                    },
                )
                where = f"OPTIONS {form} for {method}"
                assert status == 200, where
                assert headers["Access-Control-Allow-Origin"] == ORIGIN, where
                assert method in headers["Access-Control-Allow-Methods"], where
                assert "Location" not in headers, where


def test_requests_get_the_same_answer_with_and_without_the_slash(app, live_server, every_route):
    unparametrised = {r.rule for r in app.url_map.iter_rules() if not r.arguments}
    for path, methods in every_route:
        for method in methods:
            answers = []
            for form in both_forms(path):
                body = b"{}" if method in BODY_METHODS else None
                headers = {"Content-Type": "application/json"} if body else {}
                status, headers, content = request(live_server, method, form, headers, body)
                where = f"{method} {form}"
                assert status < 300 or status >= 400, where
                assert "Location" not in headers, where
                assert headers["Access-Control-Allow-Origin"] == ORIGIN, where
                answers.append((status, content))
            assert all(answer == answers[0] for answer in answers), f"{method} {path}"
            if path in unparametrised:
                # Without path arguments, a 404 could only mean that no route matched.
                assert answers[0][0] != 404, f"{method} {path}"


def test_a_method_the_route_lacks_is_405_with_and_without_the_slash(live_server, every_route):
    for path, methods in every_route:
        missing = next(m for m in ("DELETE", "PUT", "PATCH", "GET", "POST") if m not in methods)
        allows = []
        for form in both_forms(path):
            status, headers, content = request(live_server, missing, form)
            assert status == 405, f"{missing} {form}"
            assert set(json.loads(content)) == {"error"}
            allows.append(set(headers["Allow"].replace(" ", "").split(",")))
        assert all(allowed == allows[0] for allowed in allows), path
        assert allows[0] >= set(methods), path


def test_nothing_redirects_doubled_slashes_or_echoes_the_host(live_server):
    for path in ("/api//posts/post/", "/api/posts//post", "/api/accounts/account//profile/"):
        status, headers, content = request(live_server, "GET", path, {"Host": "evil.example"})
        assert status == 404, path
        assert "Location" not in headers
        assert json.loads(content) == {"error": "Resource not found"}


def test_the_openapi_document_lists_each_path_once(client):
    paths = list(client.get("/openapi.json").get_json()["paths"])
    assert len({p.rstrip("/") for p in paths}) == len(paths)
    assert "/api/posts/post/" in paths and "/api/posts/post" not in paths
    assert "/api/comments/comment" in paths and "/api/comments/comment/" not in paths
