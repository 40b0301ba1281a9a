"""A socket is subscribed when it opens: once a client sees it open, every later event of its
rooms reaches it. Another member sends the moment the socket is open, many times over, on
each transport: a raw WebSocket (`/ws/chat/`, `/ws/chat/<room_id>/`), python-socketio and
the JavaScript socket.io-client (polling first, as browsers connect, and WebSocket only);
with Redis, also from another server process. A bad token still gets its close code.

Each test has servers of its own, so that their first connections are tested too.
"""

import os
import queue
from functools import partial
from urllib.parse import urlsplit, urlunsplit

import pytest
import websocket

from tests.realtime.support import Closed, SioClient, WsClient, refusal_of, ws_url
from tests.support.chat import create_group
from tests.support.slow_tcp import slow_proxy

ROUNDS = 25
CROSS_ROUNDS = 8
SLOW_REDIS_SECONDS = 0.05
TRANSPORTS = ["all rooms", "one room", "python-socketio", "js polling first", "js websocket"]
# One sender sends a frame a round, faster than a user may (CHAT_FRAME_BURST, then
# CHAT_FRAMES_PER_SECOND): its server lets it, or a refused frame would look like a lost one.
SENDERS_UNLIMITED = {"CHAT_FRAMES_PER_SECOND": "0"}

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="two server processes meet through Redis (REDIS_URL)"
)


def chat(text: str) -> dict:
    return {"type": "chat_message", "message": text, "reply_to": None, "files": []}


def open_listener(transport: str, base: str, team, js_sio):
    """Open the member's socket the way `transport` does, returning once the client sees it
    open, with a function that waits for its next chat_message and one that closes it."""
    if transport in ("all rooms", "one room"):
        room = team.room if transport == "one room" else None
        socket = WsClient(ws_url(base, room), team.member.access)
        return (lambda: socket.expect("chat_message")["message"]), socket.close
    if transport == "python-socketio":
        socket = SioClient(base, team.member.access)
        return (lambda: socket.expect("chat_message")["message"]), socket.close
    transports = ["websocket"] if transport == "js websocket" else ["polling", "websocket"]
    socket = js_sio.open(base, team.member.access, transports)
    assert socket.next() == ("connect", None)

    def close():
        socket.close()
        assert socket.next()[0] in ("disconnect", "closed")

    return (lambda: socket.expect("chat_message")["message"]), close


def send_right_after_open(sender, listen, rounds=ROUNDS, servers=()) -> None:
    for n in range(rounds):
        next_message, close = listen()
        try:
            sender.send(chat(f"right after open {n}"))
            try:
                message = next_message()
            except (queue.Empty, websocket.WebSocketTimeoutException):
                pytest.fail(f"round {n}: nothing arrived; {what_happened(sender, servers)}")
            assert message["text"] == f"right after open {n}", f"round {n}"
        finally:
            close()
        sender.expect("chat_message")


def what_happened(sender, servers) -> str:
    """The sender's next frame (its echo, or why the frame was refused) and the servers'
    last log lines, for a listener that heard nothing."""
    try:
        echo = sender.next()
    except Exception as exc:
        echo = repr(exc)
    logs = "\n".join(f"--- {s.url}\n{s.log_path.read_text()[-4000:]}" for s in servers)
    return f"the sender's next frame: {echo}\n{logs}"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_socket_hears_what_is_sent_the_moment_it_opens(
    start_server, clients, team, js_sio, transport
):
    base = start_server(**SENDERS_UNLIMITED).url
    sender = clients.ws(base, team.owner, room=team.room)
    send_right_after_open(sender, lambda: open_listener(transport, base, team, js_sio))


@needs_redis
@pytest.mark.parametrize(
    "first", ["python-socketio", "js polling first", "js websocket", "one room"]
)
def test_a_socket_hears_another_process_the_moment_it_opens(
    start_server, clients, team, js_sio, first
):
    """The listeners' server is new: `first` is its first connection."""
    senders, listeners = start_server(**SENDERS_UNLIMITED), start_server()
    sender = clients.ws(senders.url, team.owner, room=team.room)
    for transport in [first, *(t for t in TRANSPORTS if t != first)]:
        send_right_after_open(
            sender,
            partial(open_listener, transport, listeners.url, team, js_sio),
            rounds=CROSS_ROUNDS,
            servers=(senders, listeners),
        )


@pytest.fixture
def slow_redis():
    """REDIS_URL, through a proxy that holds every chunk for SLOW_REDIS_SECONDS each way."""
    url = urlsplit(os.environ["REDIS_URL"])
    with slow_proxy(url.hostname, url.port or 6379, SLOW_REDIS_SECONDS) as port:
        credentials = url.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
        yield urlunsplit(url._replace(netloc=netloc))


@needs_redis
@pytest.mark.parametrize("transport", ["python-socketio", "js polling first"])
def test_a_first_socketio_client_hears_another_process_though_redis_is_slow(
    slow_redis, start_server, clients, team, js_sio, transport
):
    """python-socketio's Redis manager subscribes a process to the Socket.IO queue on the
    process's first connection, and does not wait for Redis to confirm it: over a slow link,
    that client is told it is connected before its process hears the others, and misses
    what they send. The listeners' process reaches Redis through a slow proxy; a plain
    WebSocket opens on it first, so that the chat hub's subscription (which a first
    connection waits for) is no longer in the way."""
    sender = clients.ws(start_server().url, team.owner, room=team.room)
    base = start_server(REDIS_URL=slow_redis).url
    clients.ws(base, team.member, room=team.room)
    send_right_after_open(sender, partial(open_listener, transport, base, team, js_sio), rounds=1)


@pytest.mark.parametrize(
    "token, room, code",
    [
        ("garbage", None, 4401),
        ("garbage", "own", 4401),
        (None, "foreign", 4403),
        (None, "00000000-0000-0000-0000-000000000000", 4404),
    ],
)
def test_a_refused_raw_websocket_still_gets_its_close_code(
    live_server, client, team, token, room, code
):
    foreign = create_group(client, team.outsider, [], name="Elsewhere")
    path = {"own": team.room, "foreign": foreign}.get(room, room)
    socket = WsClient(ws_url(live_server, path), token or team.member.access)
    with pytest.raises(Closed) as closed:
        socket.next()
    assert closed.value.code == code


def test_the_js_socketio_client_is_refused_with_the_code(live_server, team, js_sio):
    socket = js_sio.open(live_server, "garbage", ["websocket"])
    event, data = socket.next()
    assert event == "connect_error"
    assert data["data"] == {"code": 4401}
    assert refusal_of(live_server, "garbage")["data"] == {"code": 4401}
