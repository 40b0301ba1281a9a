"""Members whose clients read slowly or not at all, on the real server. Frames that a socket
does not take at once queue for that connection alone: a slow reader later gets every
message in order and intact (a frame the socket took only part of goes on where it
stopped), and when a connection's queue is full the server drops it. The sender is held
up by neither."""

import json
import socket

import websocket

from tests.realtime.support import WsClient, ws_url
from tests.support.metrics import scrape, value

QUEUE = 20
# ~16 KB frames (four-byte characters), 6 MB in all: more than the kernel buffers between
# the server and the stalled client hold (the server's send buffer grows up to 4 MB).
MESSAGES = 400
FILLER = "\N{GRINNING FACE}" * 3990


def text(n: int) -> str:
    return f"m{n:04d} {FILLER}"


def stalled_client(url: str, token: str) -> websocket.WebSocket:
    """A connection that is registered and then never read, with a small receive window."""
    ws = websocket.create_connection(
        url,
        header=[f"Authorization: Bearer {token}"],
        timeout=10,
        sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)],
    )
    ws.send(json.dumps({"type": "ping"}))
    assert json.loads(ws.recv()) == {"type": "pong"}
    return ws


def texts_until_closed(ws: websocket.WebSocket) -> list[str]:
    """The chat messages' texts the connection still delivers, until the server ends it.
    A frame cut short would surface as a protocol or decoding error, not as the end."""
    texts = []
    ws.settimeout(10)
    while True:
        try:
            frame = ws.recv()
        except (websocket.WebSocketConnectionClosedException, ConnectionResetError):
            return texts
        if not frame:
            return texts
        event = json.loads(frame)
        if event["type"] == "chat_message":
            texts.append(event["message"]["text"])


def send_all(room_socket: str, account) -> None:
    """Every message, each acknowledged (its echo) before the next is sent."""
    sender = WsClient(room_socket, account.access)
    sender.quiet()
    acknowledged = []
    for n in range(MESSAGES):
        sender.send({"type": "chat_message", "message": text(n)})
        acknowledged.append(sender.expect("chat_message")["message"]["text"])
    assert acknowledged == [text(n) for n in range(MESSAGES)]


def test_a_slow_reader_gets_every_message_intact_later(start_server, team):
    server = start_server(CHAT_FRAMES_PER_SECOND="1000", CHAT_FRAME_BURST="1000")
    room_socket = ws_url(server.url, team.room)
    slow = stalled_client(room_socket, team.member.access)
    send_all(room_socket, team.owner)
    slow.settimeout(10)
    texts = [json.loads(slow.recv())["message"]["text"] for _ in range(MESSAGES)]
    assert texts == [text(n) for n in range(MESSAGES)]


def test_a_client_that_stops_reading_is_dropped_and_holds_up_nobody(start_server, team):
    server = start_server(
        CHAT_SEND_QUEUE=str(QUEUE),
        CHAT_FRAMES_PER_SECOND="1000",
        CHAT_FRAME_BURST="1000",
        METRICS_ENABLED="true",
    )
    room_socket = ws_url(server.url, team.room)
    stalled = stalled_client(room_socket, team.member.access)
    send_all(room_socket, team.owner)
    received = texts_until_closed(stalled)
    assert 0 < len(received) < MESSAGES
    assert received == [text(n) for n in range(len(received))]
    assert f"dropping a chat socket of user {team.member.id}" in server.log_path.read_text()
    _, metrics = scrape(server.url, token=None)
    assert value(metrics, "uzbekhub_chat_slow_consumer_disconnects_total") == 1
    assert value(metrics, "uzbekhub_chat_frames_dropped_total") > 0
