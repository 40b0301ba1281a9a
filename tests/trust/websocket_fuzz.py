"""Frames for fuzzing the real-time protocol, and the answer README "Real-time chat" gives each.

A generated frame is a *spec*: JSON with symbolic ids in it (`Ref`: the caller's room, a
message of someone else's, a file...), raw text or bytes, or a ping of an exact size.
`Exchange` resolves the ids against the live world when the frame is sent, sends it, collects
what the connection receives for it and checks that against the documented answer, which it
works out from the spec and the world alone:

- text that is no JSON, JSON that is no object: `{"type":"error","error":NOT_JSON}`;
- an object whose `type` is not one of the six: the unknown-type error naming them;
- a frame over CHAT_FRAME_MAX_BYTES: the size error with its exact byte count;
- `ping`: `pong`;
- the other five: fields the schema refuses, all named at once in one `Invalid request data`
  error (a list of sentences per field); past the schema, exactly one error for one of the
  rules the frame breaks (an id the caller may not see, too long or empty text or a null
  character, a file that is not the caller's, a reply from another room, a blocked peer,
  someone else's message); a frame that breaks none gets its event (`chat_message`,
  `message_edited`, `message_deleted`, `message_read`, or nothing for an older message) or,
  for `typing`, nothing at all.

Through Socket.IO, an event named after a type carries the frame's fields in its first
argument (further ones are ignored), `message` carries a whole frame (an object, or its JSON
as text or bytes, to which the byte limit applies), any other name is a frame of an unknown
type. Never `Internal server error occurred`, never anything else, and the connection
answers the next ping.
"""

import json
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

KNOWN = ("chat_message", "edit_message", "delete_message", "typing", "read", "ping")
FIELDS = ("room_id", "message", "reply_to", "files", "message_id", "is_typing")
MAX_FRAME = 64 * 1024
MAX_TEXT = 4000
MAX_FILES = 10
MAX_ID = 2**31 - 1

PONG = {"type": "pong"}
INVALID = "Invalid request data"
NOT_JSON = {"type": "error", "error": "Frames must be JSON objects."}
UNKNOWN_TYPE = {
    "type": "error",
    "error": "Unknown frame type.",
    "details": {"type": [f"Must be one of: {', '.join(KNOWN)}."]},
}
BLOCKED = "You cannot message this user."
NOT_THE_SENDER = "Only the sender edits a message."
NOT_YOURS_TO_DELETE = "Only the sender or a group's owner or admin deletes a message."


def too_big(size: int) -> dict:
    return {"type": "error", "error": f"Frames may be at most {MAX_FRAME} bytes; got {size}."}


# --- specs ---------------------------------------------------------------------------------------


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


@dataclass(frozen=True)
class Ref:
    """An id in the world (a UUID written in one of the forms a UUID string may take)."""

    name: str
    form: str = "canonical"


@dataclass(frozen=True)
class Unknown:
    """A well-formed UUID that names nothing."""

    value: uuid.UUID
    form: str = "canonical"


@dataclass(frozen=True)
class Bad:
    """A value the field's schema refuses: the wrong JSON type, or a string that is no UUID."""

    value: object


@dataclass(frozen=True)
class Frame:
    """A JSON object frame; values are specs (Ref, Unknown, Bad, MISSING) or plain JSON."""

    fields: dict
    binary: bool = False
    ascii: bool = True


@dataclass(frozen=True)
class Raw:
    """Text or bytes sent as they are."""

    data: str | bytes


@dataclass(frozen=True)
class Sized:
    """A ping padded to exactly `size` bytes, with two-byte characters if `wide`."""

    size: int
    wide: bool
    binary: bool


@dataclass(frozen=True)
class FriendSays:
    """Not a frame of the caller's: the friend sends a message to the room (news to read)."""

    text: str


@dataclass(frozen=True)
class Emit:
    """A Socket.IO event: its name and arguments (specs, as in Frame)."""

    event: str
    args: tuple


def is_uuid(value) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def is_id(value) -> bool:
    """Ids are 32-bit integers (booleans are no integers in JSON)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def write_uuid(value: uuid.UUID, form: str) -> str:
    return {
        "canonical": str(value),
        "upper": str(value).upper(),
        "hex": value.hex,
        "braces": "{" + str(value) + "}",
        "urn": value.urn,
    }[form]


# --- strategies ----------------------------------------------------------------------------------

FORMS = st.sampled_from(["canonical", "canonical", "upper", "hex", "braces", "urn"])

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    # orjson reads integers up to 2**64 - 1 as integers (larger ones as floats).
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
not_strings = json_values.filter(lambda v: v is not None and not isinstance(v, str))
huge_strings = st.integers(1_000, 60_000).map(lambda n: "7" * n)
unknown_ids = st.builds(Unknown, st.uuids(), FORMS)


def refs(*names: str):
    return st.builds(Ref, st.sampled_from(names), FORMS)


def bad_uuids(nullable: bool):
    bad = [not_strings, st.text(max_size=40).filter(lambda s: not is_uuid(s)), huge_strings]
    if not nullable:
        bad.append(st.none())
    return st.one_of(*bad).map(Bad)


def weighted(*choices):
    """One of the (weight, strategy) pairs: mostly frames that get past the schema, so that
    the rules behind it are reached too. (`one_of` cannot weigh: it merges the branches of
    nested `one_of`s and drops repeated ones.)"""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(table.__getitem__)


def just(*values):
    return st.sampled_from(values)


# Each field: mostly a value that passes (10), or one that the schema takes but a rule
# refuses, or one that the schema refuses; so most frames break one thing or none.
room_ids = weighted(
    (10, refs("room")),
    (2, st.one_of(refs("blocked_room", "foreign_room"), unknown_ids)),
    (2, bad_uuids(nullable=False)),
)
message_ids = weighted(
    (8, refs("my_message")),
    (2, refs("friends_message")),
    (2, st.one_of(refs("foreign_message", "deleted_message"), unknown_ids)),
    (2, bad_uuids(nullable=False)),
)
# A read announces something only for a message newer than the reader's marker: mostly
# the friend's newest.
read_ids = weighted((3, refs("friends_message")), (1, message_ids))
reply_tos = weighted(
    (10, st.one_of(just(MISSING, None), refs("my_message", "friends_message"))),
    (1, st.one_of(refs("foreign_message", "deleted_message"), unknown_ids)),
    (1, bad_uuids(nullable=True)),
)
texts = weighted(
    (8, st.text(min_size=1, max_size=40).filter(lambda t: t.strip() and "\x00" not in t)),
    (1, just(None, MISSING)),
    (1, st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", max_size=6)),
    (1, st.text(min_size=1, max_size=8).map(lambda s: f"{s}\x00{s}")),
    (1, st.integers(MAX_TEXT - 2, MAX_TEXT + 2).map(lambda n: "я" * n)),
    (1, st.integers(MAX_TEXT + 3, 60_000).map(lambda n: "x" * n)),
    (1, not_strings.map(Bad)),
)
# Ids no file has: the edges of 32- and 64-bit integers, and any other.
stray_file_ids = st.one_of(
    just(0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64 - 1, -(2**63)),
    st.integers(100_000, 2**31 - 1),
)
file_items = st.one_of(just(Ref("my_file"), Ref("friends_file")), stray_file_ids)
file_lists = weighted(
    (8, just(MISSING, None, [], [Ref("my_file")])),
    (2, st.lists(file_items, min_size=1, max_size=3)),
    (1, st.lists(stray_file_ids, min_size=MAX_FILES + 1, max_size=MAX_FILES + 2)),
    (
        1,
        st.builds(
            lambda good, bad, at: Bad([*good[:at], bad, *good[at:]]),
            st.lists(file_items, max_size=3),
            # What the schema refuses in the list: anything but integers, booleans too.
            json_values.filter(lambda v: not isinstance(v, int) or isinstance(v, bool)),
            st.integers(0, 3),
        ),
    ),
    (1, json_values.filter(lambda v: v is not None and not isinstance(v, list)).map(Bad)),
)
extras = weighted(
    (4, st.just({})),
    (
        1,
        st.dictionaries(
            st.text(max_size=10).filter(lambda k: k not in FIELDS and k != "type"),
            json_values,
            max_size=3,
        ),
    ),
)


def required(strategy):
    return weighted((12, strategy), (1, st.just(MISSING)))


def known(kind: str, **fields):
    return st.builds(
        lambda chosen, more, binary, ascii: Frame(
            {**more, "type": kind, **chosen}, binary=binary, ascii=ascii
        ),
        st.fixed_dictionaries(fields),
        extras,
        st.booleans(),
        st.booleans(),
    )


chat_frames = known(
    "chat_message", room_id=required(room_ids), message=texts, reply_to=reply_tos, files=file_lists
)
typing_frames = known(
    "typing",
    room_id=required(room_ids),
    is_typing=weighted(
        (10, st.booleans()),
        (1, st.just(MISSING)),
        (
            2,
            st.one_of(
                just(1, 0, "true", "false", "yes", "on", "1", "", None),
                json_values.filter(lambda v: v is not True and v is not False),
            ).map(Bad),
        ),
    ),
)
known_frames = weighted(
    (4, chat_frames),
    (2, known("edit_message", message_id=required(message_ids), message=texts)),
    (1, known("delete_message", message_id=required(message_ids))),
    (3, known("read", message_id=required(read_ids))),
    (1, typing_frames),
    (1, known("ping")),
)
unknown_types = st.one_of(
    st.just(MISSING),
    st.text(max_size=20).filter(lambda t: t not in KNOWN),
    st.sampled_from(["PING", " ping", "chat_message ", "Ping", "pong", "error", "message"]),
    st.sampled_from(["user_typing", "connect", "disconnect", "__proto__", "constructor"]),
    json_values.filter(lambda v: not isinstance(v, str)),
)
unknown_frames = st.builds(
    lambda kind, fields, binary: Frame(
        {**fields, **({} if kind is MISSING else {"type": kind})}, binary=binary
    ),
    unknown_types,
    st.dictionaries(
        st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)).filter(lambda k: k != "type"),
        json_values,
        max_size=4,
    ),
    st.booleans(),
)
raw_frames = st.one_of(
    st.text(max_size=60).map(Raw),
    st.binary(max_size=60).map(Raw),
    json_values.map(lambda v: Raw(json.dumps(v))),
    st.sampled_from(
        ["", " ", "{", "}", "[]", "{}", "null", "NaN", '{"type": NaN}', "\ufeff{}"]
    ).map(Raw),
    st.sampled_from(
        ['{"type": "ping"', '{"type": "ping"}}', '{"type": "ping",}', "{'type': 'ping'}"]
    ).map(Raw),
    st.sampled_from(['{"type": "ping", "x": 1e400}', '{"type": "ping", "x": "\\ud800"}']).map(Raw),
)
sized_frames = st.builds(
    Sized,
    st.one_of(
        st.integers(MAX_FRAME - 64, MAX_FRAME + 64),
        st.integers(40, MAX_FRAME),
        st.integers(MAX_FRAME + 1, 1024 * 1024),
    ),
    st.booleans(),
    st.booleans(),
)

# Frames whose answers do not depend on the frames sent just before them (no edits,
# deletions or reads), for bursts sent back to back.
independent_frames = weighted(
    (4, chat_frames),
    (1, typing_frames),
    (2, known("ping")),
    (1, unknown_frames),
    (1, raw_frames),
    (1, sized_frames),
)
friend_says = st.builds(FriendSays, st.text(alphabet="abcdefghij", min_size=1, max_size=12))

# What goes over a plain WebSocket: mostly frames of the known types.
websocket_frames = weighted(
    (8, known_frames), (1, unknown_frames), (1, raw_frames), (1, sized_frames), (3, friend_says)
)


def _as_emits(frame: Frame):
    body = {k: v for k, v in frame.fields.items() if k != "type"}
    kind = frame.fields["type"]
    return st.sampled_from(
        [
            Emit(kind, (body,)),
            Emit(kind, (body, {"second": "argument"})),
            Emit("message", (frame.fields,)),
            Emit("message", (Frame(frame.fields, ascii=frame.ascii),)),
        ]
    )


event_names = st.one_of(
    st.sampled_from(KNOWN),
    st.sampled_from(["message", "connect", "disconnect", "pong", "error", "chat_messages"]),
    st.text(max_size=12),
)
# What goes through the Socket.IO namespace: the same frames as events, whole frames as
# `message` events, anything at all under any name, with no, one or more arguments.
socketio_emits = weighted(
    (8, known_frames.flatmap(_as_emits)),
    (1, unknown_frames.map(lambda f: Emit("message", (f.fields,)))),
    (2, st.builds(Emit, event_names, st.lists(json_values, max_size=3).map(tuple))),
    (1, raw_frames.map(lambda r: Emit("message", (r.data,)))),
    (3, friend_says),
)


# --- the world and the exchange ------------------------------------------------------------------


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class World:
    """The caller (`me`) and what the frames may name."""

    me_id: int
    friend_id: int
    room: str  # a group of `friend`'s that `me` is a member of
    blocked_room: str  # me and someone who blocked me
    foreign_room: str  # a group `me` is not in
    quiet_room: str  # me and the watcher: where the barrier is typed
    watcher_id: int
    friends_messages: list[str]  # in `room`, newest last
    foreign_message: str
    deleted_messages: list[str]
    my_file: int
    friends_file: int
    read_marker: datetime  # my read marker in `room`
    created: dict[str, datetime] = field(default_factory=dict)  # messages of `room`
    my_messages: list[str] = field(default_factory=list)  # in `room`, newest last
    with_files: set[str] = field(default_factory=set)

    def uuid_of(self, name: str) -> str | None:
        return {
            "room": self.room,
            "blocked_room": self.blocked_room,
            "foreign_room": self.foreign_room,
            "my_message": self.my_messages[-1] if self.my_messages else None,
            "friends_message": self.friends_messages[-1],
            "foreign_message": self.foreign_message,
            "deleted_message": self.deleted_messages[-1],
        }[name]


class Exchange:
    """Sends specs over one connection and checks each answer.

    After a frame, the connection is sent a ping, and once the pong is back (the frame has been
    handled: a connection's frames are handled in order), the watcher types in a room of its
    own with the caller. That `user_typing` travels the way events do (through Redis when the
    server has it), so everything the frame caused has arrived before it.
    """

    def __init__(
        self,
        world: World,
        connection,
        *,
        watcher,
        friend,
        barrier: Callable[[dict], bool],
        socketio: bool = False,
    ):
        self.world = world
        self.socketio = socketio
        self.connection = connection  # send(resolved spec), send_ping(), next() -> dict
        self.watcher = watcher  # plain WebSocket clients (tests.realtime.support.WsClient)
        self.friend = friend
        self.is_barrier = barrier
        self.typing = False
        self.outcomes: Counter[str] = Counter()

    # --- resolving ---------------------------------------------------------------------------

    def resolve(self, value):
        if isinstance(value, Ref):
            if value.name in ("my_file", "friends_file"):
                return getattr(self.world, value.name)
            if value.name == "my_message" and not self.world.my_messages:
                self.seed()
            return write_uuid(uuid.UUID(self.world.uuid_of(value.name)), value.form)
        if isinstance(value, Unknown):
            return write_uuid(value.value, value.form)
        if isinstance(value, Bad):
            return self.resolve(value.value)
        if isinstance(value, Frame):
            return self.encode(value)
        if isinstance(value, list | tuple):
            return type(value)(self.resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items() if v is not MISSING}
        return value

    def encode(self, frame: Frame) -> str | bytes:
        text = json.dumps(self.resolve(frame.fields), ensure_ascii=frame.ascii)
        return text.encode() if frame.binary else text

    def seed(self) -> None:
        """A message of mine in the room, sent and acknowledged before the frame that names it."""
        self.send_message("seed")

    def send_message(self, text: str) -> None:
        body = {"room_id": Ref("room"), "message": text}
        self.run(
            Emit("chat_message", (body,))
            if self.socketio
            else Frame({"type": "chat_message", **body})
        )

    # --- sending -----------------------------------------------------------------------------

    def run(self, spec) -> None:
        if isinstance(spec, FriendSays):
            sent, check = f"the friend says {spec.text!r}", self.friend_says(spec.text)
        else:
            sent, check = self.prepare(spec)
            self.connection.send(sent)
        self.outcomes[check.label] += 1
        _note(f"sent: {_short(sent)}")
        answers = self.collect(check)
        _note(f"answers: {_short(answers)}")
        check(answers)

    def prepare(self, spec):
        if isinstance(spec, Sized):
            sent = sized_ping(spec)
            size = len(sent if isinstance(sent, bytes) else sent.encode())
            return sent, exactly([PONG] if size <= MAX_FRAME else [too_big(size)])
        if isinstance(spec, Raw):
            return spec.data, self.expect_raw(spec.data)
        if isinstance(spec, Frame):
            sent = self.encode(spec)
            return sent, self.expect_raw(sent, spec)
        if isinstance(spec, Emit):
            args = self.resolve(spec.args)
            return (spec.event, args), self.expect_emit(spec, args)
        raise TypeError(spec)

    def friend_says(self, text: str):
        """The friend's message, sent on its one-room socket and acknowledged there."""
        world = self.world
        self.friend.send({"type": "chat_message", "message": text})
        while True:
            frame = self.friend.next()
            assert frame["type"] != "error", frame
            if (
                frame["type"] == "chat_message"
                and frame["message"]["sender"]["id"] == world.friend_id
            ):
                break
        message = frame["message"]
        assert message["text"] == text

        def heard(answers):
            assert answers == [frame]
            world.friends_messages.append(message["id"])
            world.created[message["id"]] = parse_time(message["created_at"])

        return outcome(heard, "the friend's chat_message", events=1)

    def collect(self, check) -> list[dict]:
        """What the frame brought (besides the pong of the ping sent after it)."""
        self.connection.send_ping()
        # Until the ping's pong (counting pongs, not replies: a missing answer then shows).
        received = self.until_replies(lambda got: got.count(PONG) > check.pongs)
        received += self.until_barrier()
        # The last pong is the ping's: replies are sent in order, events may come later.
        last = len(received) - 1 - received[::-1].index(PONG)
        return received[:last] + received[last + 1 :]

    def until_replies(self, enough: Callable[[list[dict]], bool]) -> list[dict]:
        received = []
        while not enough(received):
            received.append(self.connection.next())
        return received

    def until_barrier(self) -> list[dict]:
        """Everything before the watcher's next `user_typing`: it was sent after the frames
        before it were handled, and travels as their events do."""
        self.typing = not self.typing
        self.watcher.send(
            {"type": "typing", "room_id": self.world.quiet_room, "is_typing": self.typing}
        )
        received = []
        while True:
            frame = self.connection.next()
            if self.is_barrier(frame) and frame["is_typing"] is self.typing:
                return received
            received.append(frame)

    def burst(self, specs: list, allowed: int) -> list[dict]:
        """Frames sent back to back: the first `allowed` get their answers, each one after
        them the rate limit's error (and is dropped). Returns the rate limit's errors."""
        assert self.world.my_messages, "a reply to my message would send a seed first"
        prepared = [self.prepare(spec) for spec in specs]
        for sent, _ in prepared:
            self.connection.send(sent)
        checks = [check for _, check in prepared]
        expected_replies = sum(c.replies for c in checks[:allowed]) + len(checks[allowed:])
        received = self.until_replies(lambda got: _replies(got) >= expected_replies)
        received += self.until_barrier()
        replies = [frame for frame in received if frame["type"] in ("error", "pong")]
        events = [frame for frame in received if frame["type"] not in ("error", "pong")]
        for sent, check in prepared[:allowed]:
            _note(f"sent: {_short(sent)}")
            answers = [replies.pop(0) for _ in range(check.replies)]
            answers += [events.pop(0) for _ in range(check.events)]
            check(answers)
            self.outcomes[check.label] += 1
        assert not events, events
        return replies

    # --- the documented answers --------------------------------------------------------------

    def expect_raw(self, data: str | bytes, spec: Frame | None = None):
        size = len(data if isinstance(data, bytes) else data.encode())
        if size > MAX_FRAME:
            return exactly([too_big(size)])
        frame = strict_json(data)
        if not isinstance(frame, dict):
            return exactly([NOT_JSON])
        return self.expect_frame(spec.fields if spec is not None else frame)

    def expect_emit(self, spec: Emit, args: tuple):
        data = args[0] if args else None
        if spec.event == "message":
            if isinstance(data, str | bytes):
                return self.expect_raw(
                    data, spec.args[0] if isinstance(spec.args[0], Frame) else None
                )
            if isinstance(data, dict):
                return self.expect_frame(spec.args[0])
            return exactly([NOT_JSON])
        if spec.event in KNOWN:
            if spec.event == "ping" and data is None:
                return exactly([PONG])
            if isinstance(data, dict):
                return self.expect_frame({**spec.args[0], "type": spec.event})
            return exactly([NOT_JSON])
        return exactly([UNKNOWN_TYPE])

    def expect_frame(self, fields: dict):
        kind = fields.get("type", MISSING)
        if not isinstance(kind, str) or kind not in KNOWN:
            return exactly([UNKNOWN_TYPE])
        if kind == "ping":
            return exactly([PONG])
        required = {
            "chat_message": ("room_id",),
            "edit_message": ("message_id", "message"),
            "delete_message": ("message_id",),
            "read": ("message_id",),
            "typing": ("room_id", "is_typing"),
        }[kind]
        used = {
            "chat_message": ("room_id", "message", "reply_to", "files"),
            "edit_message": ("message_id", "message"),
            "typing": ("room_id", "is_typing"),
        }.get(kind, ("message_id",))
        fields = {name: as_spec(name, fields.get(name, MISSING)) for name in used}
        refused = {
            name
            for name, value in fields.items()
            if isinstance(value, Bad) or (name in required and value is MISSING)
        }
        if refused:
            return field_error(refused)
        return getattr(self, f"_expect_{kind}")(fields)

    def _room(self, value) -> str | None:
        """The room a room_id names if the caller may see it."""
        if isinstance(value, Ref) and value.name in ("room", "blocked_room"):
            return self.world.uuid_of(value.name)
        return None

    def _message(self, value) -> str | None:
        """The message a message_id names if it is in one of the caller's rooms."""
        if isinstance(value, Ref) and value.name in ("my_message", "friends_message"):
            return self.world.uuid_of(value.name)
        return None

    def _text_breaks(self, text, has_files: bool) -> bool:
        text = text if isinstance(text, str) else ""
        return len(text) > MAX_TEXT or "\x00" in text or (not text.strip() and not has_files)

    def _expect_chat_message(self, fields: dict):
        world = self.world
        room = self._room(fields["room_id"])
        text = fields.get("message", MISSING)
        text = None if text is MISSING else text
        files = fields.get("files", MISSING)
        files = [] if files in (MISSING, None) else list(dict.fromkeys(self.resolve(files)))
        reply = fields.get("reply_to", MISSING)
        broken = []
        if room is None:
            broken.append(("room_id", None))
        elif room == world.blocked_room:
            broken.append((None, BLOCKED))
        if self._text_breaks(text, has_files=bool(files)):
            broken.append(("message", None))
        if len(files) > MAX_FILES or any(i != world.my_file for i in files):
            broken.append(("files", None))
        reply_id = None
        if reply not in (MISSING, None):
            reply_id = self._message(reply)
            if reply_id is None or room != world.room:
                broken.append(("reply_to", None))
        if broken:
            return one_error(broken)

        def acknowledged(answers):
            (frame,) = answers
            assert frame["type"] == "chat_message", frame
            message = frame["message"]
            assert message["room"] == world.room
            assert message["sender"]["id"] == world.me_id
            assert message["text"] == (text or "")
            assert message["reply_to"] == reply_id
            assert [a["id"] for a in message["attachments"]] == files
            assert message["is_edited"] is False
            world.my_messages.append(message["id"])
            world.created[message["id"]] = parse_time(message["created_at"])
            world.read_marker = world.created[message["id"]]
            if files:
                world.with_files.add(message["id"])

        return outcome(acknowledged, "chat_message", events=1)

    def _expect_edit_message(self, fields: dict):
        world = self.world
        message_id = self._message(fields["message_id"])
        text = fields["message"]
        broken = []
        if message_id is None:
            broken.append(("message_id", None))
        elif message_id != world.uuid_of("my_message"):
            broken.append((None, NOT_THE_SENDER))
        elif self._text_breaks(text, has_files=message_id in world.with_files):
            broken.append(("message", None))
        if broken:
            return one_error(broken)

        def edited(answers):
            (frame,) = answers
            assert frame["type"] == "message_edited", frame
            assert frame["message"]["id"] == message_id
            assert frame["message"]["text"] == (text or "")
            assert frame["message"]["is_edited"] is True

        return outcome(edited, "message_edited", events=1)

    def _expect_delete_message(self, fields: dict):
        world = self.world
        message_id = self._message(fields["message_id"])
        if message_id is None:
            return one_error([("message_id", None)])
        if message_id != world.uuid_of("my_message"):
            return one_error([(None, NOT_YOURS_TO_DELETE)])

        def deleted(answers):
            assert answers == [
                {"type": "message_deleted", "room": world.room, "message_id": message_id}
            ]
            world.my_messages.remove(message_id)
            world.deleted_messages.append(message_id)

        return outcome(deleted, "message_deleted", events=1)

    def _expect_read(self, fields: dict):
        world = self.world
        message_id = self._message(fields["message_id"])
        if message_id is None:
            return one_error([("message_id", None)])
        if world.created[message_id] <= world.read_marker:
            return exactly([])

        def announced(answers):
            (frame,) = answers
            assert frame["type"] == "message_read", frame
            assert (frame["room"], frame["message_id"]) == (world.room, message_id)
            assert frame["user"]["id"] == world.me_id
            assert set(frame) == {"type", "room", "message_id", "user", "read_at"}
            world.read_marker = world.created[message_id]

        return outcome(announced, "message_read", events=1)

    def _expect_typing(self, fields: dict):
        room = self._room(fields["room_id"])
        if room is None:
            return one_error([("room_id", None)])
        if room == self.world.blocked_room:
            return one_error([(None, BLOCKED)])
        # The typist's own connections are not told.
        return exactly([])


# --- checks --------------------------------------------------------------------------------------


def as_spec(name: str, value):
    """A field's value as a spec: generated ones already are; plain JSON (from raw text or a
    Socket.IO event) is classified as the field's schema would take it."""
    if value is MISSING or isinstance(value, Ref | Unknown | Bad):
        return value
    if name in ("room_id", "message_id", "reply_to"):
        if value is None and name == "reply_to":
            return None
        return (
            Unknown(uuid.UUID(value)) if isinstance(value, str) and is_uuid(value) else Bad(value)
        )
    if name == "message":
        return value if value is None or isinstance(value, str) else Bad(value)
    if name == "files":
        if value is None:
            return None
        if isinstance(value, list) and all(isinstance(i, Ref) or is_id(i) for i in value):
            return value
        return Bad(value)
    if name == "is_typing":
        return value if isinstance(value, bool) else Bad(value)
    raise KeyError(name)


def outcome(
    check: Callable[[list], None], label: str, *, replies: int = 0, events: int = 0, pongs: int = 0
):
    """A check of a frame's answers, with how many are replies to the connection (errors,
    pongs: in order) and how many events (in order among themselves; through Redis they may
    arrive after later replies)."""
    check.label = label
    check.replies = replies
    check.events = events
    check.pongs = pongs
    return check


def exactly(frames: list[dict]):
    def check(answers):
        assert answers == frames

    label = frames[0].get("error", frames[0]["type"]) if frames else "nothing"
    if label.startswith("Frames may be at most"):
        label = "too big"
    return outcome(check, label, replies=len(frames), pongs=frames.count(PONG))


def assert_field_error(frame: dict) -> dict:
    assert set(frame) == {"type", "error", "details"}, frame
    assert (frame["type"], frame["error"]) == ("error", INVALID), frame
    details = frame["details"]
    assert isinstance(details, dict) and details, frame
    for sentences in details.values():
        assert isinstance(sentences, list) and sentences, frame
        assert all(isinstance(s, str) and s for s in sentences), frame
    return details


def field_error(fields: set[str]):
    """One error naming exactly these fields (the schema reports all it refuses at once)."""

    def check(answers):
        (frame,) = answers
        assert set(assert_field_error(frame)) == fields, (frame, fields)

    return outcome(check, "refused by the schema", replies=1)


def one_error(broken: list[tuple[str | None, str | None]]):
    """One error, for one of the rules the frame breaks: (field, None) or (None, sentence)."""

    def check(answers):
        (frame,) = answers
        assert frame.get("type") == "error", frame
        if "details" in frame:
            (name,) = assert_field_error(frame)
            assert (name, None) in broken, (frame, broken)
        else:
            assert set(frame) == {"type", "error"}, frame
            assert (None, frame["error"]) in broken, (frame, broken)

    return outcome(check, "refused by a rule", replies=1)


def strict_json(data: str | bytes):
    """The JSON value of `data`, or None if it is not JSON as RFC 8259 has it (no NaN, no
    numbers beyond a double, no unpaired surrogates, no byte-order mark)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        text.encode("utf-8")
        value = json.loads(text, parse_constant=_refuse, parse_float=_finite)
        _check_surrogates(value)
    except (ValueError, UnicodeError):
        return None
    return value


def _refuse(name):
    raise ValueError(name)


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def _check_surrogates(value) -> None:
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, list):
        for item in value:
            _check_surrogates(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_surrogates(key)
            _check_surrogates(item)


def sized_ping(spec: Sized) -> str | bytes:
    head, tail = '{"type":"ping","pad":"', '"}'
    room = spec.size - len(head) - len(tail)
    pad = "ж" * (room // 2) + "x" * (room % 2) if spec.wide else "x" * room
    text = head + pad + tail
    return text.encode() if spec.binary else text


def _note(text: str) -> None:
    """Printed with a failing example (and nowhere outside one)."""
    with suppress(InvalidArgument):
        note(text)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 300 else f"{text[:200]}... ({len(text)} characters)"


def _replies(frames: list[dict]) -> int:
    return sum(frame["type"] in ("error", "pong") for frame in frames)
