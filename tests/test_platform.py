"""The service as an operator and a client meet it: errors, docs, config, CLI, migrations."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest
from sqlalchemy import select

from config import ConfigError, load_config
from tests.conftest import ROOT
from uzbekhub.accounts.models import User
from uzbekhub.extensions import db


def test_unknown_route_is_404_in_the_error_format(client):
    response = client.get("/api/no/such/route/")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Resource not found"}


def test_wrong_method_is_405_in_the_error_format(client):
    response = client.delete("/api/accounts/auth/signup/")
    assert response.status_code == 405
    assert set(response.get_json()) == {"error"}
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("rule, window", [("2/minute", 60), ("2/hour", 3600)])
def test_a_throttled_answer_never_waits_longer_than_the_window(
    app, client, throttled, monkeypatch, rule, window
):
    monkeypatch.setitem(app.config, "THROTTLE_COMMENTS", rule)
    for n in range(2):
        assert client.post("/api/comments/comment", json={"content": f"c{n}"}).status_code == 201
    refused = client.post("/api/comments/comment", json={"content": "one more"})
    assert refused.status_code == 429
    assert refused.get_json() == {"message": "Request was throttled", "wait_seconds": window}
    assert refused.headers["Retry-After"] == str(window)


def test_uncaught_exception_is_500_without_traceback(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        with app.test_request_context():
            from uzbekhub.errors import handle_unexpected

            response = handle_unexpected(RuntimeError("secret internals"))
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert response.get_json()["error"] == "Internal server error occurred"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "secret internals" in caplog.text


@pytest.mark.parametrize(
    "content_type, limit_key",
    [
        ("application/json", "MAX_JSON_BYTES"),
        ("multipart/form-data; boundary=x", "MAX_CONTENT_LENGTH"),
    ],
)
def test_oversized_request_is_413(app, client, content_type, limit_key):
    limit = app.config[limit_key]
    response = client.post(
        "/api/accounts/auth/signup/", data=b"x" * (limit + 1), content_type=content_type
    )
    assert response.status_code == 413
    assert set(response.get_json()) == {"error"}


def test_openapi_documents_bearer_security(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    profile = spec["paths"]["/api/accounts/account/profile/"]["get"]
    assert profile["security"] == [{"bearerAuth": []}]
    assert "401" in profile["responses"]
    signup = spec["paths"]["/api/accounts/auth/signup/"]["post"]
    assert signup["security"] == []  # open, and said so
    assert "400" in signup["responses"]


@pytest.mark.parametrize("page", ["/swdoc/", "/redoc/"])
def test_docs_pages_load_only_local_assets(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/openapi.json" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from another host"
        assert client.get(asset).status_code == 200, asset


def test_redoc_bundle_points_its_logo_at_a_local_file(client):
    bundle = client.get("/docs-static/redoc/redoc.standalone.js").get_data(as_text=True)
    assert "cdn.redoc.ly" not in bundle
    assert "/docs-static/redoc/logo-mini.svg" in bundle
    assert client.get("/docs-static/redoc/logo-mini.svg").status_code == 200


def test_swagger_ui_has_no_remote_validator(client):
    html = client.get("/swdoc/").get_data(as_text=True)
    assert re.search(r'"validatorUrl":\s*null', html)


def test_cors_preflight_is_answered(client):
    response = client.options(
        "/api/accounts/auth/signin/",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
    )
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", "http://localhost:3000")


# --- configuration ----------------------------------------------------------------------------


def test_production_refuses_to_start_without_secrets():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"APP_ENV": "production"})
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        load_config({"APP_ENV": "production", "SECRET_KEY": "s" * 40})


def test_production_starts_with_real_secrets():
    cfg = load_config(
        {"FLASK_ENV": "production", "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40}
    )
    assert cfg["SECRET_KEY"] == "s" * 40
    assert cfg["HOST"] == "0.0.0.0"  # noqa: S104


def test_settings_come_from_the_environment():
    cfg = load_config(
        {
            "DATABASE_URL": "postgres://u@h/d",
            "STORY_TTL_HOURS": "0.001",
            "MAX_UPLOAD_MB": "2",
            "RATELIMIT_ENABLED": "false",
            "THROTTLE_PROFILE_SEARCH": "3/minute",
            "CORS_ORIGINS": "https://a.uz, https://b.uz",
        }
    )
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg2://u@h/d"
    assert cfg["STORY_TTL_HOURS"] == 0.001
    assert cfg["MAX_UPLOAD_MB"] == 2
    assert cfg["RATELIMIT_ENABLED"] is False
    assert cfg["THROTTLE_PROFILE_SEARCH"] == "3/minute"
    assert cfg["CORS_ORIGINS"] == ["https://a.uz", "https://b.uz"]
    assert cfg["HOST"] == "127.0.0.1" and cfg["PORT"] == 5000


def test_a_bad_number_in_the_environment_is_a_clear_error():
    with pytest.raises(ConfigError, match="PORT"):
        load_config({"PORT": "eighty"})


# --- operator commands -------------------------------------------------------------------------


def test_create_admin_makes_an_active_staff_user(app, client):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "Root@Example.com", "--password", "admin-password"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "root@example.com"))
        assert user.is_staff and user.is_active
    signin = client.post(
        "/api/accounts/auth/signin/",
        json={"email": "root@example.com", "password": "admin-password"},
    )
    assert signin.status_code == 200


def test_create_admin_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "root@example.com", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "between 8 and 128" in result.output


# --- migrations ---------------------------------------------------------------------------------


def _flask(args, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "ASYNC_MODE": "threading"}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrations_build_the_schema_the_models_describe(empty_database):
    upgrade = _flask(["db", "upgrade"], empty_database)
    assert upgrade.returncode == 0, upgrade.stderr
    check = _flask(["db", "check"], empty_database)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


# --- the real server ----------------------------------------------------------------------------


def _http(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_a_client_signs_up_and_in_through_python_wsgi_py(live_server, mail_catcher):
    email = "live@example.com"
    password = "live-password"
    status, body = _http(
        "POST",
        f"{live_server}/api/accounts/auth/signup/",
        {"email": email, "password": password, "confirm_password": password},
    )
    assert (status, body) == (201, {"status": True, "user": email})
    code = mail_catcher.code_for(email)
    status, _ = _http("POST", f"{live_server}/api/accounts/auth/email-verify/", {"code": code})
    assert status == 200
    status, body = _http(
        "POST", f"{live_server}/api/accounts/auth/signin/", {"email": email, "password": password}
    )
    assert status == 200
    access = body["token"]["access"]
    status, profile = _http(
        "GET",
        f"{live_server}/api/accounts/account/profile/",
        headers={"Authorization": f"Bearer {access}"},
    )
    assert status == 200 and profile["email"] == email
    status, body = _http("GET", f"{live_server}/api/accounts/account/profile/")
    assert status == 401 and set(body) == {"detail"}


def test_api_answers_carry_security_headers(client):
    response = client.get("/api/accounts/account/profile/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_tokens_are_redacted_from_log_lines():
    from uzbekhub.common.http_headers import redact_tokens

    line = '127.0.0.1 - - "GET /ws/chat/?token=eyJhbGciOi.secret.sig&x=1 HTTP/1.1" 101'
    assert "eyJhbGciOi" not in redact_tokens(line)
    assert "token=[redacted]&x=1" in redact_tokens(line)


def test_the_live_access_log_does_not_show_tokens(live_server, test_paths):
    secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.c2ln"
    urllib.request.urlopen(f"{live_server}/openapi.json?token={secret}", timeout=10).read()
    deadline = time.monotonic() + 5
    logs = ""
    while "/openapi.json?token=" not in logs and time.monotonic() < deadline:
        time.sleep(0.05)  # the access line is written once the response is complete
        logs = "".join(p.read_text() for p in test_paths["base"].glob("live-*.log"))
    assert "/openapi.json?token=[redacted]" in logs
    assert secret not in logs


def test_deleting_a_user_cascades_on_every_backend(app, alice, bob):
    from tests.support.factories import block

    block(app, alice, bob)
    with app.app_context():
        from uzbekhub.accounts.models import Block

        db.session.delete(db.session.get(User, bob.id))
        db.session.commit()
        assert db.session.scalar(select(Block)) is None


def test_socketio_without_cors_origins_still_admits_its_own_origin():
    import engineio

    from uzbekhub import socketio_cors_origins

    origins = socketio_cors_origins({"CORS_ORIGINS": []})
    server = engineio.Server(async_mode="threading", cors_allowed_origins=origins)
    environ = {"HTTP_HOST": "api.uzbekhub.uz", "wsgi.url_scheme": "https"}
    assert server._cors_allowed_origins(environ) == ["https://api.uzbekhub.uz"]
    assert socketio_cors_origins({"CORS_ORIGINS": ["https://uzbekhub.uz"]}) == [
        "https://uzbekhub.uz"
    ]


def test_behind_one_proxy_the_client_address_is_the_forwarded_one():
    from flask import Flask, request

    from uzbekhub import trust_proxies

    app = Flask("proxied")
    app.config["PROXY_FIX_HOPS"] = 1
    app.add_url_rule("/ip", "ip", lambda: f"{request.remote_addr} {request.scheme}")
    trust_proxies(app)
    answer = app.test_client().get(
        "/ip",
        headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    # The proxy appended the address it saw; anything before it is the client's own claim.
    assert answer.get_data(as_text=True) == "203.0.113.7 https"


def test_proxy_trust_defaults_to_none_locally_and_one_in_production():
    assert load_config({})["PROXY_FIX_HOPS"] == 0
    production = {"APP_ENV": "production", "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40}
    assert load_config(production)["PROXY_FIX_HOPS"] == 1
