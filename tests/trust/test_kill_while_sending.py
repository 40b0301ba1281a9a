"""The real server killed with SIGKILL while 50 clients send messages, then started again.

A message is acknowledged by its own `chat_message` echo, sent after the commit
(docs/realtime.md), so whatever was acknowledged before the kill must be in history after the restart, and
nothing may be half-written: every room's `message_count` is its number of rows, every
attachment, reply and read marker points at a message that exists, and a file is temporary
exactly when no message carries it. Runs on SQLite and on PostgreSQL (+ Redis).
"""

import signal
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from websocket import WebSocketConnectionClosedException

from tests.conftest import run_wsgi
from tests.realtime.support import Closed, WsClient, http, ws_url
from tests.support.chat import HISTORY, create_group, upload
from tests.support.factories import Account
from uzbekhub.chat.models import ChatFile, Message, Room, RoomMember, message_files
from uzbekhub.extensions import db

CLIENTS = 50
ROOMS = 5
KILL_AFTER = 500  # acknowledged messages
TIMEOUT = 15


@dataclass
class Sender:
    """One client: what it sent and which of it was acknowledged."""

    index: int
    account: Account
    room: str
    file_id: int | None = None
    sent: list[str] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # text -> message id
    in_flight: str | None = None
    failure: BaseException | None = None
    ended_at: float = 0.0

    def frame(self, n: int) -> dict:
        """Message n: now and then a reply to its own last message, a file, both."""
        text = f"client {self.index} message {n}"
        frame = {"type": "chat_message", "room_id": self.room, "message": text}
        if n % 3 == 2 and self.acknowledged:
            frame["reply_to"] = list(self.acknowledged.values())[-1]
        if self.file_id is not None and n % 4 == 1:
            frame["files"] = [self.file_id]
        return frame

    def run(self, url: str, start: threading.Barrier, stop: threading.Event) -> None:
        news: list[str] = []  # others' messages, newest last: reads point at them
        try:
            connection = WsClient(ws_url(url), self.account.access)
            connection.quiet()
        except BaseException as exc:
            self.failure = exc
            start.abort()
            return
        start.wait()
        try:
            n = 0
            while not stop.is_set():
                frame = self.frame(n)
                self.in_flight = frame["message"]
                self.sent.append(frame["message"])
                connection.send(frame)
                while self.in_flight is not None:
                    event = connection.next(TIMEOUT)
                    assert event["type"] in ("chat_message", "message_read"), event
                    if event["type"] != "chat_message":
                        continue
                    message = event["message"]
                    if message["sender"]["id"] != self.account.id:
                        news.append(message["id"])
                    elif message["text"] == self.in_flight:
                        self.acknowledged[self.in_flight] = message["id"]
                        self.in_flight = None
                if n % 5 == 4 and news:
                    connection.send({"type": "read", "message_id": news[-1]})
                n += 1
        except Exception as exc:  # the kill, or whatever went wrong before it
            self.failure = exc
        finally:
            self.ended_at = time.monotonic()
            connection.ws.shutdown()


def all_history(url: str, room: str, account: Account) -> tuple[int, list[dict]]:
    messages, offset = [], 0
    while True:
        status, page = http(
            "GET", f"{url}{HISTORY.format(room)}?limit=100&offset={offset}", token=account.access
        )
        assert status == 200, page
        messages += page["results"]
        offset += 100
        if offset >= page["count"]:
            return page["count"], messages


def test_acknowledged_messages_survive_a_kill_and_nothing_is_half_written(
    app, client, make_account, app_overrides, test_paths, mail_catcher
):
    accounts = [make_account() for _ in range(CLIENTS)]
    per_room = CLIENTS // ROOMS
    rooms = [
        create_group(
            client, accounts[r * per_room], accounts[r * per_room + 1 : (r + 1) * per_room]
        )
        for r in range(ROOMS)
    ]
    senders = [Sender(i, account, rooms[i // per_room]) for i, account in enumerate(accounts)]
    for sender in senders[::5]:
        uploaded = upload(client, sender.account, f"file {sender.index}".encode())
        sender.file_id = uploaded.get_json()["id"]

    start, stop = threading.Barrier(CLIENTS + 1), threading.Event()
    with run_wsgi(app_overrides, test_paths, mail_catcher, CHAT_FRAMES_PER_SECOND="0") as server:
        threads = [
            threading.Thread(target=s.run, args=(server.url, start, stop), daemon=True)
            for s in senders
        ]
        for thread in threads:
            thread.start()
        start.wait(timeout=60)
        deadline = time.monotonic() + 60
        while sum(len(s.acknowledged) for s in senders) < KILL_AFTER:
            assert time.monotonic() < deadline, "too slow to reach the kill"
            assert not any(s.failure for s in senders), [s.failure for s in senders]
            time.sleep(0.01)
        killed_at = time.monotonic()
        server.proc.send_signal(signal.SIGKILL)
        stop.set()
        assert server.proc.wait(timeout=10) == -signal.SIGKILL
        for thread in threads:
            thread.join(timeout=TIMEOUT + 5)
        assert not any(thread.is_alive() for thread in threads)
        log = server.log_path.read_text()
        assert "Traceback" not in log and " ERROR " not in log, log[-4000:]

    # Every client was stopped by the kill: its connection dropped (or it had just been
    # answered and saw `stop`), none before it, none by an unexpected answer or a timeout.
    cut_off = (OSError, WebSocketConnectionClosedException, Closed, type(None))
    assert all(s.ended_at >= killed_at and isinstance(s.failure, cut_off) for s in senders), [
        (s.index, repr(s.failure)) for s in senders
    ]
    acknowledged = {text: id for s in senders for text, id in s.acknowledged.items()}
    sent = {text for s in senders for text in s.sent}
    unanswered = sent - set(acknowledged)
    assert len(acknowledged) >= KILL_AFTER and unanswered, "the kill came mid-stream"

    with run_wsgi(app_overrides, test_paths, mail_catcher) as restarted:
        stored: dict[str, dict] = {}
        for room, owner in zip(rooms, accounts[::per_room], strict=True):
            count, messages = all_history(restarted.url, room, owner)
            assert count == len(messages), "message_count and the rows disagree"
            for message in messages:
                assert message["room"] == room
                assert message["text"] not in stored, "a message stored twice"
                stored[message["text"]] = message
        # Acknowledged: stored, as acknowledged. Not acknowledged: only the one message each
        # client had in flight (stored or not), and nothing that was never sent.
        for text, message_id in acknowledged.items():
            assert text in stored and stored[text]["id"] == message_id, text
        assert set(stored) <= sent
        for s in senders:
            assert set(s.sent) - set(s.acknowledged) <= {s.sent[-1]}, s.index
        assert_nothing_half_written(app, rooms)

        # The restarted server works: a message goes round each room again.
        for r, room in enumerate(rooms):
            owner, member = senders[r * per_room], senders[r * per_room + 1]
            listening = WsClient(ws_url(restarted.url), member.account.access)
            speaking = WsClient(ws_url(restarted.url, room), owner.account.access)
            try:
                listening.quiet()
                speaking.send({"type": "chat_message", "message": "back again"})
                echo = speaking.expect("chat_message")
                assert listening.expect("chat_message") == echo
            finally:
                speaking.close()
                listening.close()
            count, messages = all_history(restarted.url, room, owner.account)
            assert messages[0]["id"] == echo["message"]["id"]
            assert count == len(messages)
        log = restarted.log_path.read_text()
        assert "Traceback" not in log and " ERROR " not in log, log[-4000:]
    assert_nothing_half_written(app, rooms)


def assert_nothing_half_written(app, rooms: list[str]) -> None:
    with app.app_context():
        session = db.session
        messages = session.execute(
            select(Message.id, Message.room_id, Message.reply_to_id, Message.created_at)
        ).all()
        by_id = {m.id: m for m in messages}
        created_in = defaultdict(set)
        for m in messages:
            created_in[m.room_id].add(m.created_at)
        counted = Counter(m.room_id for m in messages)
        for room in session.scalars(select(Room)):
            assert room.message_count == counted[room.id], (room, counted[room.id])
        for m in messages:
            if m.reply_to_id is not None:
                assert by_id[m.reply_to_id].room_id == m.room_id, m
        attached = session.execute(select(message_files)).all()
        files = {f.id: f for f in session.scalars(select(ChatFile))}
        for message_id, file_id in attached:
            assert message_id in by_id and file_id in files, (message_id, file_id)
        carried = {file_id for _, file_id in attached}
        for file in files.values():
            assert file.is_temporary == (file.id not in carried), file
        # A read marker is where the member joined, or a message of the room (the one they
        # sent, or read, last): never a message that is not there.
        for member in session.scalars(select(RoomMember)):
            assert (
                member.last_read_at == member.joined_at
                or member.last_read_at in created_in[member.room_id]
            ), member
        assert session.scalar(select(func.count()).select_from(Message)) == len(messages)
        session.remove()
    assert len(rooms) == ROOMS
