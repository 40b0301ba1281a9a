"""Request ids, the access line (with the user), one traceback per 500, JSON logs."""

import json
import logging
import re
import urllib.error
import urllib.request

import pytest
import socketio

from tests.conftest import run_wsgi
from tests.realtime.support import WsClient, ws_url

PROFILE = "/api/accounts/account/profile/"


def test_every_answer_carries_a_generated_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/api/no/such/route/").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


@pytest.mark.parametrize(
    "sent, kept",
    [
        ("3f2b8c1e-5d4a-4c1b-9a7e-0b6f1d2c3e4a", True),
        ("lb.abc:123_x-y", True),
        ("short", False),
        ("x" * 129, False),
        ("has space in it", False),
        ("inject\\nINFO fake line", False),
    ],
)
def test_a_well_formed_client_request_id_is_kept_any_other_replaced(client, sent, kept):
    answered = client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    assert (answered == sent) is kept
    assert re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", answered)


def test_a_500_names_its_request_id_and_logs_its_traceback_once(app, client, caplog, monkeypatch):
    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setitem(app.view_functions, "health.healthz", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    caplog.set_level(logging.INFO)
    response = client.get("/healthz", headers={"X-Request-ID": "req-500-abcdef"})

    assert response.status_code == 500
    assert response.get_json() == {
        "error": "Internal server error occurred",
        "request_id": "req-500-abcdef",
    }
    assert "secret internals" not in response.get_data(as_text=True)
    tracebacks = [record for record in caplog.records if record.exc_info]
    assert len(tracebacks) == 1
    assert tracebacks[0].request_id == "req-500-abcdef"
    assert "secret internals" in caplog.text


def fetch(url: str, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_for_line(server, needle: str) -> str:
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        text = server.log_path.read_text()
        if needle in text:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} never logged:\n{server.log_path.read_text()}")


def test_the_access_line_names_the_request_and_the_user(
    app_overrides, test_paths, mail_catcher, alice
):
    with run_wsgi(app_overrides, test_paths, mail_catcher) as server:
        assert (
            fetch(f"{server.url}{PROFILE}", {**alice.headers, "X-Request-ID": "req-alice-1"}) == 200
        )
        assert fetch(f"{server.url}{PROFILE}", {"X-Request-ID": "req-anonymous-1"}) == 401
        assert fetch(f"{server.url}/healthz", {"X-Request-ID": "req-probe-1"}) == 200
        socket_ = WsClient(ws_url(server.url), alice.access, headers=("X-Request-ID: req-ws-1",))
        socket_.quiet()
        socket_.close()
        wait_for_line(server, "req-ws-1")
        text = wait_for_line(server, "req-anonymous-1")
    alice_line = next(line for line in text.splitlines() if "req-alice-1" in line)
    assert f'"GET {PROFILE}" 200' in alice_line and f"user={alice.id}" in alice_line
    anonymous_line = next(line for line in text.splitlines() if "req-anonymous-1" in line)
    assert "user=-" in anonymous_line
    # A plain WebSocket authenticates with its own token check; its line comes at its end.
    socket_line = next(line for line in text.splitlines() if "req-ws-1" in line)
    assert '"GET /ws/chat/" 101' in socket_line and f"user={alice.id}" in socket_line
    # Probes are not logged at INFO, and eventlet's own access line is replaced by ours.
    assert "req-probe-1" not in text
    assert text.count(f"GET {PROFILE}") == 2


def socketio_lines(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line and "/socket.io/" in line]


@pytest.mark.parametrize(
    "transports", [["polling", "websocket"], ["polling"], ["websocket"]], ids="+".join
)
def test_socketio_access_lines_name_the_user_once_the_connection_is_authenticated(
    app_overrides, test_paths, mail_catcher, alice, transports
):
    """A Socket.IO connection is authenticated by its connect packet, after the request that
    opened its session (long-polling) or inside it (a WebSocket from the start): every line of
    the session from the connect on names the user, the socket's own line at its end too."""
    with run_wsgi(app_overrides, test_paths, mail_catcher) as server:
        sio = socketio.Client(reconnection=False)
        sio.connect(
            server.url,
            namespaces=["/chat"],
            auth={"token": alice.access},
            transports=transports,
            headers={"X-Request-ID": "req-sio-alice"},
            wait_timeout=10,
        )
        session = sio.eio.sid  # named by every later request of the session (`sid=`)
        sio.emit("ping", {}, namespace="/chat")
        sio.sleep(0.5)  # a poll or two, and the upgrade when there is one
        sio.disconnect()
        # A WebSocket's line is written when it closes, the session's last; a polling
        # session's polls each when answered.
        last = "transport=websocket" if "websocket" in transports else f"sid={session}"
        text = wait_for_line(server, last)
    # The client names the opening request (its later ones, on polling, get their own ids).
    opening = [line for line in socketio_lines(text, "[req-sio-alice]") if "sid=" not in line]
    of_the_session = socketio_lines(text, f"sid={session}")
    if transports == ["websocket"]:
        # The connection's one request: it was authenticated while it ran.
        assert not of_the_session
        assert len(opening) == 1
        assert "transport=websocket" in opening[0] and opening[0].endswith(f"user={alice.id}")
        return
    # The opening poll is answered before the connect packet is sent: nobody is known yet.
    assert len(opening) == 1 and opening[0].endswith("user=-"), text
    assert of_the_session, text
    for line in of_the_session:
        assert line.endswith(f"user={alice.id}"), line
    upgraded = [line for line in of_the_session if "transport=websocket" in line]
    assert len(upgraded) == (1 if "websocket" in transports else 0)


def test_a_refused_socketio_connection_names_nobody(app_overrides, test_paths, mail_catcher, alice):
    with run_wsgi(app_overrides, test_paths, mail_catcher) as server:
        sio = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            sio.connect(
                server.url,
                namespaces=["/chat"],
                auth={"token": "not-a-token"},
                transports=["polling"],
                headers={"X-Request-ID": "req-sio-nobody"},
                wait_timeout=10,
            )
        # Written after the socket's lines: once it is there, they are too.
        fetch(f"{server.url}/api/no/such/route/", {"X-Request-ID": "req-after-sio"})
        wait_for_line(server, "req-after-sio")
        text = server.log_path.read_text()
    lines = socketio_lines(text, "[req-sio-nobody]")
    assert lines and all(line.endswith("user=-") for line in lines), text


def test_log_format_json_gives_one_object_per_line(app_overrides, test_paths, mail_catcher, alice):
    with run_wsgi(app_overrides, test_paths, mail_catcher, LOG_FORMAT="json") as server:
        fetch(f"{server.url}{PROFILE}", {**alice.headers, "X-Request-ID": "req-json-1"})
        fetch(f"{server.url}/media/chat_files/x.bin?token={alice.access}")
        text = wait_for_line(server, "/media/chat_files/x.bin")
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    access = next(entry for entry in entries if entry["request_id"] == "req-json-1")
    assert access["logger"] == "uzbekhub.access"
    assert (access["status"], access["user_id"], access["path"]) == (200, alice.id, PROFILE)
    assert alice.access not in text
