"""Real-time clients that misbehave, on the live server: nesting bombs in frames and
Socket.IO payloads, anonymous connections to Socket.IO's default namespace, and one user
multiplying the frame rate limit with more sockets."""

import json

import pytest
import websocket

from tests.realtime.support import TIMEOUT, WsClient, ws_url

DEEP = "[" * 1000 + "]" * 1000
NESTED_TOO_DEEP = "Frames must be JSON objects: nested deeper than 32 levels."


class RawSocketIO:
    """Engine.IO v4 over a WebSocket, spoken by hand: packets a library would not send."""

    def __init__(self, base: str):
        url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=TIMEOUT)
        assert self.next().startswith("0{")

    def send(self, packet: str) -> None:
        self.ws.send(packet)

    def next(self) -> str:
        while True:
            packet = self.ws.recv()
            if packet == "2":  # the server's ping
                self.ws.send("3")
                continue
            return packet

    def connect(self, namespace: str, auth: dict | None = None) -> str:
        prefix = "40" if namespace == "/" else f"40{namespace},"
        self.send(prefix + (json.dumps(auth) if auth is not None else ""))
        return self.next()

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def raw_sio(live_server):
    opened = []

    def open_one():
        client = RawSocketIO(live_server)
        opened.append(client)
        return client

    yield open_one
    for client in opened:
        client.close()


def log_lines(server_log, marker: str) -> list[str]:
    return [line for line in server_log.read_text().splitlines() if marker in line]


def test_a_nesting_bomb_in_a_socketio_event_is_an_error_frame(raw_sio, alice, test_paths):
    client = raw_sio()
    assert client.connect("/chat", {"token": alice.access}).startswith("40/chat,{")
    client.send('42/chat,["chat_message",' + DEEP + "]")
    event, frame = json.loads(client.next().removeprefix("42/chat,"))
    assert event == "error"
    assert frame == {"type": "error", "error": NESTED_TOO_DEEP}
    client.send('42/chat,["ping"]')
    assert json.loads(client.next().removeprefix("42/chat,")) == ["pong", {"type": "pong"}]


def test_a_nesting_bomb_as_frame_text_in_a_message_event_too(raw_sio, alice):
    client = raw_sio()
    client.connect("/chat", {"token": alice.access})
    client.send("42/chat," + json.dumps(["message", DEEP]))
    assert json.loads(client.next().removeprefix("42/chat,"))[1]["error"] == NESTED_TOO_DEEP


def test_a_nesting_bomb_in_a_plain_websocket_frame_is_an_error_frame(live_server, alice):
    client = WsClient(ws_url(live_server), alice.access)
    try:
        client.quiet()
        client.send(DEEP)
        assert client.next() == {"type": "error", "error": NESTED_TOO_DEEP}
        client.send('{"type": "ping", "type": "ping"}')
        assert client.next()["error"].startswith("Frames must be JSON objects: an object names")
        client.quiet()
    finally:
        client.close()


def test_the_server_logs_one_line_for_a_bomb_and_no_traceback(start_server, alice):
    server = start_server()
    client = RawSocketIO(server.url)
    try:
        client.connect("/chat", {"token": alice.access})
        client.send('42/chat,["typing",' + DEEP + "]")
        assert json.loads(client.next().removeprefix("42/chat,"))[0] == "error"
    finally:
        client.close()
    log = server.log_path.read_text()
    assert "Traceback" not in log
    assert len([line for line in log.splitlines() if "nested deeper" in line]) == 1


def test_socketio_default_namespace_refuses_anonymous_connections(raw_sio):
    answer = raw_sio().connect("/")
    assert answer.startswith("44"), answer
    assert json.loads(answer[2:])["data"] == {"code": 4401}


def test_socketio_default_namespace_refuses_a_bad_token(raw_sio):
    answer = raw_sio().connect("/", {"token": "not-a-token"})
    assert answer.startswith("44"), answer


def test_more_sockets_do_not_multiply_the_frame_rate_limit(start_server, alice):
    server = start_server(CHAT_FRAMES_PER_SECOND="0.5", CHAT_FRAME_BURST="6")
    sockets = [WsClient(ws_url(server.url), alice.access) for _ in range(3)]
    sio = RawSocketIO(server.url)
    try:
        sio.connect("/chat", {"token": alice.access})
        answers = []
        for _ in range(3):
            for ws in sockets:
                ws.send({"type": "ping"})
                answers.append(ws.next())
            sio.send('42/chat,["ping"]')
            answers.append(json.loads(sio.next().removeprefix("42/chat,"))[1])
        assert answers.count({"type": "pong"}) == 6, answers
        throttled = [a for a in answers if a["type"] == "error"]
        assert len(throttled) == 6
        assert all(a["error"].startswith("Too many frames") for a in throttled)
    finally:
        sio.close()
        for ws in sockets:
            ws.close()
