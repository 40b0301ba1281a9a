"""The delivery hub on its own: channels, and what happens when Redis is unavailable."""

from types import SimpleNamespace

from redis.exceptions import ConnectionError as RedisConnectionError

from uzbekhub.chat.delivery import Hub, channel_name
from uzbekhub.chat.events import ChatEvent


class RecordingPeer:
    def __init__(self, user_id, room_key=None):
        self.user_id = user_id
        self.room_key = room_key
        self.frames = []

    def deliver(self, room, kind, frame, removed_user):
        self.frames.append((room, kind, frame))


class DeadRedis:
    def publish(self, channel, message):
        raise RedisConnectionError("Redis is down")


def test_channels_name_the_redis_database():
    # Pub/sub ignores database numbers: two environments on one server must not meet.
    assert channel_name("redis://127.0.0.1:6379/6", "chat") == "uzbekhub:6:chat"
    assert channel_name("redis://127.0.0.1:6379", "chat") == "uzbekhub:0:chat"
    assert channel_name("redis://h:1/6", "chat") != channel_name("redis://h:1/7", "chat")


def test_without_redis_events_still_reach_this_processes_connections():
    app = SimpleNamespace(config={"REDIS_URL": "redis://127.0.0.1:1/6"}, extensions={})
    app.extensions["redis"] = DeadRedis()
    hub = Hub(app)
    # Registered as `add` would, without waiting for a subscription that cannot happen.
    member, other_user = RecordingPeer(1), RecordingPeer(3)
    for peer in (member, other_user):
        hub._peers.setdefault(peer.user_id, set()).add(peer)
    hub.publish_event(
        ChatEvent("room-1", {"type": "room_cleared", "room": "room-1"}, recipients=(1, 2))
    )
    assert member.frames == [("room-1", "room_cleared", b'{"type":"room_cleared","room":"room-1"}')]
    assert other_user.frames == []


def test_an_excluded_user_gets_nothing_and_an_event_for_nobody_is_not_sent():
    app = SimpleNamespace(config={"REDIS_URL": None}, extensions={})
    hub = Hub(app)
    typist = RecordingPeer(1)
    hub._peers[1] = {typist}
    hub.publish_event(ChatEvent("r", {"type": "user_typing"}, recipients=(1,), exclude_user_id=1))
    assert typist.frames == []
