"""The server's own text frames (`ws.text_frame`), read back by wsproto as a client would:
every length encoding of RFC 6455 (7-bit, 16-bit and 64-bit), UTF-8 intact."""

import pytest
from wsproto.connection import Connection, ConnectionType
from wsproto.events import TextMessage

from uzbekhub.chat.ws import PING_FRAME, text_frame


def client_reads(wire: bytes) -> list:
    client = Connection(ConnectionType.CLIENT)
    client.receive_data(wire)
    return list(client.events())


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_a_text_frame_of_any_length_reads_back_whole(size):
    text = "ў" * (size // 2) + "x" * (size % 2)  # exactly `size` bytes of UTF-8
    assert len(text.encode()) == size
    events = client_reads(text_frame(text.encode()))
    assert len(events) == 1
    assert isinstance(events[0], TextMessage) and events[0].message_finished
    assert events[0].data == text


def test_frames_back_to_back_stay_apart():
    events = client_reads(text_frame(b'{"n":1}') + PING_FRAME + text_frame(b'{"n":2}'))
    texts = [event.data for event in events if isinstance(event, TextMessage)]
    assert texts == ['{"n":1}', '{"n":2}']
    assert [type(event).__name__ for event in events] == ["TextMessage", "Ping", "TextMessage"]
