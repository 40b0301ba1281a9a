"""/metrics on a live server, read with prometheus_client's own parser."""

import time
import urllib.request

from tests.support.metrics import SCRAPE_TOKEN, scrape, value

PROFILE = "/api/accounts/account/profile/"


def test_metrics_are_off_unless_enabled(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_token_and_count_requests_sockets_events_and_the_pool(
    start_server, clients, team
):
    server = start_server(METRICS_ENABLED="true", METRICS_TOKEN=SCRAPE_TOKEN)
    assert scrape(server.url, token=None)[0] == 401
    assert scrape(server.url, token="wrong")[0] == 401

    _, before = scrape(server.url)
    for _ in range(3):
        urllib.request.urlopen(
            urllib.request.Request(server.url + PROFILE, headers=team.owner.headers), timeout=10
        )
    websocket_client = clients.ws(server.url, team.member)
    socketio_client = clients.sio(server.url, team.member)
    owner = clients.ws(server.url, team.owner)
    owner.send({"type": "chat_message", "room_id": team.room, "message": "counted"})
    owner.expect("chat_message")
    websocket_client.expect("chat_message")
    socketio_client.expect("chat_message")
    _, after = scrape(server.url)

    route = {"route": PROFILE, "method": "GET"}
    requests = "uzbekhub_http_requests_total"
    assert (
        value(after, requests, status="200", **route)
        - value(before, requests, status="200", **route)
        == 3
    )
    latency = "uzbekhub_http_request_duration_seconds_count"
    assert value(after, latency, **route) - value(before, latency, **route) == 3
    assert value(after, "uzbekhub_open_sockets", transport="websocket") == 2
    assert value(after, "uzbekhub_open_sockets", transport="socketio") == 1
    fanned_out = "uzbekhub_chat_events_fanned_out_total"
    assert value(after, fanned_out) > value(before, fanned_out)
    assert ("uzbekhub_db_pool_checked_out", ()) in after
    assert ("uzbekhub_db_pool_overflow", ()) in after
    # Unknown paths share one series rather than one per path.
    assert all(
        dict(labels).get("route", "/").startswith(("/", "<unmatched>"))
        for name, labels in after
        if name == requests
    )


def test_a_websocket_session_counts_as_switched_protocols_not_as_a_server_error(
    start_server, clients, team
):
    """Both transports' WebSockets answer their handshake outside start_response: counted
    as 500s, every socket would raise the error rate operators alert on."""
    server = start_server(METRICS_ENABLED="true", METRICS_TOKEN=SCRAPE_TOKEN)
    clients.ws(server.url, team.member).close()
    clients.sio(server.url, team.member).close()
    requests = "uzbekhub_http_requests_total"
    deadline = time.monotonic() + 5
    while True:
        _, scraped = scrape(server.url)
        switched = {
            dict(labels)["route"]
            for name, labels in scraped
            if name == requests and dict(labels)["status"] == "101"
        }
        if switched >= {"/ws/chat/", "/socket.io/"} or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert switched >= {"/ws/chat/", "/socket.io/"}
    assert not [
        labels for name, labels in scraped if name == requests and ("status", "500") in labels
    ]
