"""Concurrent identical requests to the real server (`python wsgi.py`, eventlet): each race
ends with exactly one row and clean answers, never a 5xx. On PostgreSQL in CI."""

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.factories import PASSWORD
from tests.trust.live import at_once, call, multipart
from tests.trust.world import World
from uzbekhub.accounts.models import Block, Contact, Status, User, VerificationCode
from uzbekhub.chat.models import ChatFile, Room, RoomMember
from uzbekhub.extensions import db
from uzbekhub.posts.models import PostLike, PostView
from uzbekhub.stories.models import StoryReaction, StoryView

CALLERS = 12


def rows(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def clean(answers, winners: set[int], losers: set[int]) -> list[int]:
    statuses = [status for status, _ in answers]
    assert all(status < 500 for status in statuses), answers
    assert sum(status in winners for status in statuses) == 1, answers
    assert set(statuses) <= winners | losers, answers
    for status, body in answers:
        if status == 400:
            assert body["error"] == "Invalid request data" and body["details"], body
    return statuses


@pytest.fixture
def world(app, client):
    return World(app, client)


def test_concurrent_signups_for_one_email_make_one_user(app, live_server):
    email = "race@example.com"
    body = {"email": email, "password": PASSWORD, "confirm_password": PASSWORD}
    answers = at_once(
        CALLERS, lambda i: call("POST", f"{live_server}/api/accounts/auth/signup/", body)
    )
    clean(answers, {201}, {400, 429})
    assert rows(app, User, User.email == email) == 1
    assert rows(app, VerificationCode) == 1


@pytest.mark.parametrize(
    "path, body_of, model",
    [
        ("/api/posts/like/", lambda w: {"post": w.post}, PostLike),
        ("/api/posts/views/", lambda w: {"post": w.post}, PostView),
        ("/api/stories/viewed/", lambda w: {"story": w.story}, StoryView),
        ("/api/stories/reaction/", lambda w: {"story": w.story, "reaction": "wow"}, StoryReaction),
        ("/api/accounts/account/status/", lambda w: {"content": "Racing"}, Status),
        ("/api/accounts/account/contact/", lambda w: {"contact": w.peer.id}, Contact),
        ("/api/accounts/account/block/", lambda w: {"blocked_user": w.peer.id}, Block),
    ],
    ids=["like", "post view", "story view", "reaction", "status", "contact", "block"],
)
def test_concurrent_identical_creations_make_one_row(app, live_server, world, path, body_of, model):
    body = body_of(world)
    before = rows(app, model)
    headers = world.other.headers
    answers = at_once(CALLERS, lambda i: call("POST", f"{live_server}{path}", body, headers))
    clean(answers, {201}, {400})
    assert rows(app, model) == before + 1


def test_concurrent_private_room_creation_for_one_pair_makes_one_room(app, live_server, world):
    one, two = world.other, world.peer

    def create(i):
        caller, other = (one, two) if i % 2 else (two, one)
        body = {"room_type": "private", "members": [other.id]}
        return call("POST", f"{live_server}/api/chat/rooms/", body, caller.headers)

    answers = at_once(CALLERS, create)
    statuses = clean(answers, {201}, {200})
    assert statuses.count(200) == CALLERS - 1
    assert len({body["id"] for _, body in answers}) == 1
    assert rows(app, Room, Room.room_type == "private") == 1
    assert rows(app, RoomMember) == 2


def test_concurrent_joins_of_a_group_make_one_membership(app, live_server, world):
    group = world.group
    url = f"{live_server}/api/chat/members/{group}/join/"
    answers = at_once(CALLERS, lambda i: call("POST", url, headers=world.other.headers))
    clean(answers, {201}, {400})
    assert rows(app, RoomMember, RoomMember.user_id == world.other.id) == 1


def upload(live_server: str, account, data: bytes):
    body, content_type = multipart({"file_type": "document"}, {"file": ("same.pdf", data)})
    return call(
        "POST",
        f"{live_server}/api/chat/files/",
        raw=body,
        content_type=content_type,
        headers=account.headers,
    )


def test_concurrent_identical_uploads_make_one_record_and_one_file(app, live_server, world):
    data = b"%PDF-1.4 the same bytes " + bytes(range(256)) * 64
    digest = hashlib.sha256(data).hexdigest()
    answers = at_once(CALLERS, lambda i: upload(live_server, world.other, data))
    clean(answers, {201}, {200})
    assert len({body["id"] for _, body in answers}) == 1
    assert rows(app, ChatFile, ChatFile.unique_id == digest) == 1
    folder = Path(app.config["MEDIA_ROOT"]) / "chat_files"
    assert [p.name for p in folder.iterdir() if digest in p.name] == [f"{digest}.pdf"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".upload-")]


def test_concurrent_uploads_of_the_same_bytes_by_two_users_share_the_file(app, live_server, world):
    data = b"%PDF-1.4 shared bytes " + bytes(range(256)) * 32
    digest = hashlib.sha256(data).hexdigest()
    people = [world.other, world.peer]
    answers = at_once(CALLERS, lambda i: upload(live_server, people[i % 2], data))
    assert all(status in (200, 201) for status, _ in answers), answers
    assert [status for status, _ in answers].count(201) == 2
    assert rows(app, ChatFile, ChatFile.unique_id == digest) == 2
    folder = Path(app.config["MEDIA_ROOT"]) / "chat_files"
    assert [p.name for p in folder.iterdir() if digest in p.name] == [f"{digest}.pdf"]
