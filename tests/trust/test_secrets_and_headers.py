"""Secrets stay out of logs and error answers; headers, CORS and body limits as an operator
would set them."""

import io
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.exc import OperationalError

from config import load_config
from uzbekhub.accounts import profile_services
from uzbekhub.common.http_headers import redact_tokens
from uzbekhub.common.mail import send_mail

MIB = 1024 * 1024
PROFILE = "/api/accounts/account/profile/"


def get(url: str, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def server_log(live_server: str, test_paths) -> Path:
    return test_paths["base"] / f"live-{urlsplit(live_server).port}.log"


# --- logs ---------------------------------------------------------------------------------------


def test_tokens_in_urls_never_reach_the_access_log(live_server, test_paths, alice):
    reset_secret = "ResetSecret" + "x" * 40
    marker = f"marker-{time.time_ns()}"
    get(f"{live_server}/media/chat_files/none.bin?token={alice.access}")
    get(f"{live_server}/media/chat_files/none.bin?a=1&access_token={alice.refresh}")
    get(f"{live_server}/ws/chat/?token={alice.access}")
    get(f"{live_server}/api/accounts/auth/reset-password/{reset_secret}/")
    get(f"{live_server}{PROFILE}", {"Authorization": f"Bearer {alice.access}"})
    get(f"{live_server}/api/comments/comment?m={marker}")  # the last line to wait for
    log = server_log(live_server, test_paths)
    deadline = time.monotonic() + 5
    while marker not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    text = log.read_text()
    assert marker in text and "reset-password/[redacted]" in text
    for secret in (alice.access, alice.refresh, reset_secret):
        assert secret not in text


@pytest.mark.parametrize(
    "line, secret",
    [
        ('"GET /media/x.pdf?token=abc.def.ghi HTTP/1.1" 200', "abc.def.ghi"),
        ('"GET /ws/chat/?room=1&Token=abc.def HTTP/1.1" 101', "abc.def"),
        ('"POST /api/accounts/auth/reset-password/Zm9vYmFy-_x/ HTTP/1.1" 400', "Zm9vYmFy-_x"),
        ('"POST /api/accounts/auth/reset-password/Zm9vYmFy HTTP/1.1" 400', "Zm9vYmFy"),
    ],
)
def test_redaction_covers_every_place_a_token_travels_in_a_url(line, secret):
    assert secret not in redact_tokens(line)
    assert "[redacted]" in redact_tokens(line)


def test_mail_in_production_without_a_server_does_not_log_codes(app, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    with app.app_context(), caplog.at_level(logging.INFO):
        send_mail("someone@example.com", "Your UzbekHub code", "Your code is:\n\n48151\n")
    assert "48151" not in caplog.text
    assert "MAIL_SERVER is unset" in caplog.text


def test_mail_in_development_without_a_server_goes_to_the_log(app, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    with app.app_context(), caplog.at_level(logging.INFO):
        send_mail("someone@example.com", "Your UzbekHub code", "Your code is:\n\n48151\n")
    assert "48151" in caplog.text


# --- error answers ------------------------------------------------------------------------------


@pytest.fixture
def unhandled(app, monkeypatch):
    """Errors inside views are answered (not raised into the test client) for one test."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(app, "testing", False)


def test_a_crash_answers_500_without_its_message(client, alice, unhandled, monkeypatch, caplog):
    def crash(user_id):
        raise RuntimeError(f"boom with {alice.access} at /srv/secret/path password=hunter2")

    monkeypatch.setattr(profile_services, "load_profile", crash)
    with caplog.at_level(logging.ERROR):
        response = client.get(PROFILE, headers=alice.headers)
    assert response.status_code == 500
    # Only the request's id, which finds the details in the log.
    assert response.get_json() == {
        "error": "Internal server error occurred",
        "request_id": response.headers["X-Request-ID"],
    }
    assert "Traceback" in caplog.text  # the details go to the log only


def test_a_database_outage_answers_503_without_its_message(client, alice, unhandled, monkeypatch):
    def down(user_id):
        raise OperationalError("SELECT secret FROM users", {"p": "hunter2"}, Exception("gone"))

    monkeypatch.setattr(profile_services, "load_profile", down)
    response = client.get(PROFILE, headers=alice.headers)
    assert response.status_code == 503
    assert set(response.get_json()) == {"error"}
    assert b"hunter2" not in response.get_data() and b"SELECT" not in response.get_data()


@pytest.mark.parametrize(
    "path, body, status",
    [
        ("/api/accounts/auth/token/refresh/", {"refresh": "eyJ.SECRETPAYLOAD.sig"}, 401),
        ("/api/accounts/auth/logout/", {"refresh": "eyJ.SECRETPAYLOAD.sig"}, 401),
        ("/api/accounts/auth/oauth2/google/", {"token": "eyJ.SECRETPAYLOAD.sig"}, 401),
        (
            "/api/accounts/auth/signin/",
            {"email": "a@example.com", "password": "SECRETPAYLOAD"},
            400,
        ),
    ],
)
def test_refused_credentials_are_not_echoed(client, path, body, status):
    response = client.post(path, json=body)
    assert response.status_code == status
    assert b"SECRETPAYLOAD" not in response.get_data()


def test_a_bad_bearer_token_is_not_echoed(client):
    response = client.get(PROFILE, headers={"Authorization": "Bearer eyJ.SECRETPAYLOAD.sig"})
    assert response.status_code == 401
    assert b"SECRETPAYLOAD" not in response.get_data()


# --- headers and CORS ---------------------------------------------------------------------------


def test_api_answers_carry_the_security_headers(client, alice):
    response = client.get(PROFILE, headers=alice.headers)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert (
        response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS
    secure = client.get(PROFILE, headers=alice.headers, base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_error_answers_carry_them_too(client):
    response = client.get(PROFILE)
    assert response.status_code == 401
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_private_chat_files_are_not_kept_by_shared_caches(client, alice):
    data = {"file": (io.BytesIO(b"%PDF-1.4 private"), "a.pdf"), "file_type": "document"}
    url = client.post(
        "/api/chat/files/", data=data, headers=alice.headers, content_type="multipart/form-data"
    ).get_json()["file"]
    served = client.get(url[url.index("/media/") :], headers=alice.headers)
    assert served.status_code == 200
    cache = set(served.headers["Cache-Control"].split(", "))
    assert cache == {"private", "max-age=31536000", "immutable"}
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_cors_in_development_allows_any_origin_without_credentials(client):
    preflight = client.options(
        PROFILE,
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:3000")
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    simple = client.get("/api/comments/comment", headers={"Origin": "https://x.example"})
    assert "X-Total-Count" in simple.headers["Access-Control-Expose-Headers"]


def test_cors_in_production_allows_only_the_configured_origins():
    secrets = {"SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40, "APP_ENV": "production"}
    assert load_config(secrets)["CORS_ORIGINS"] == []
    configured = load_config({**secrets, "CORS_ORIGINS": "https://app.example, https://m.example"})
    assert configured["CORS_ORIGINS"] == ["https://app.example", "https://m.example"]


# --- body limits --------------------------------------------------------------------------------


def test_a_json_body_over_a_mib_is_413_before_it_is_read(client, alice):
    body = json.dumps({"bio": "x" * MIB}).encode()
    response = client.patch(
        PROFILE, data=body, headers=alice.headers, content_type="application/json"
    )
    assert response.status_code == 413
    assert set(response.get_json()) == {"error"}


def chunked_post(live_server: str, path: str, headers: dict, body: bytes) -> tuple[int, bytes]:
    """POST with Transfer-Encoding: chunked, so that no Content-Length announces the size."""
    parts = urlsplit(live_server)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Transfer-Encoding: chunked"]
    head += [f"{k}: {v}" for k, v in headers.items()] + ["Connection: close", "", ""]
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall("\r\n".join(head).encode())
        try:
            for start in range(0, len(body), 64 * 1024):
                piece = body[start : start + 64 * 1024]
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before reading everything
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer


def test_a_chunked_json_body_is_never_read_so_it_cannot_pass_the_limit(live_server, alice):
    """Without Content-Length the size is not known beforehand: such a body is not read at all
    (werkzeug treats it as empty), so it cannot get round the 1 MiB limit for JSON."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {alice.access}"}
    for size in (10, 8 * MIB):
        body = json.dumps({"content": "x" * size}).encode()
        started = time.monotonic()
        status, answer = chunked_post(live_server, "/api/comments/comment", headers, body)
        assert status == 400, answer[:300]
        assert b'"content":["Missing data for required field."]' in answer
        assert time.monotonic() - started < 10
