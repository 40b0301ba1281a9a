"""A small world for the trust tests: an owner with one of everything, and the people around.

Roles (as the authorisation matrix names them):
- `owner`: owns every object the requests name;
- `other`: an unrelated user who may see the owner (the owner is public);
- `blocked`: a user the owner has blocked;
- `staff`: a staff user, otherwise unrelated;
- `anon`: no token.
`peer` is a helper (the owner's contact, the other member of rooms) and never calls.

Objects are made on first use, through the API where that is cheap, so that a row of the
matrix pays only for what it names.
"""

import io
import secrets
import uuid
from datetime import timedelta
from functools import cached_property

from sqlalchemy import select, update

from tests.support.factories import Account, block, make_account
from tests.support.images import png
from uzbekhub.accounts.models import Location, PasswordResetToken, User, VerificationCode
from uzbekhub.chat import message_services
from uzbekhub.common.db import utcnow
from uzbekhub.extensions import db
from uzbekhub.stories.models import Story

ROLES = ("owner", "other", "blocked", "staff", "anon")

# Distinctive coordinates (six decimals) so that a leak is found by plain text search.
PLACES = {
    "owner": (41.311081, 69.240562),
    "other": (41.327546, 69.281181),
    "blocked": (41.299496, 69.268712),
    "staff": (41.338419, 69.334573),
    "peer": (41.284637, 69.203519),
}


class World:
    def __init__(self, app, client):
        self.app = app
        self.client = client
        tag = uuid.uuid4().hex[:6]
        self.accounts: dict[str, Account] = {}
        self.phones: dict[str, str] = {}
        for n, name in enumerate(("owner", "other", "blocked", "staff", "peer")):
            phone = f"+99890{n}{secrets.randbelow(10**6):06d}"
            self.phones[name] = phone
            self.accounts[name] = make_account(
                app,
                f"{name}.{tag}@example.com",
                first_name=name.capitalize(),
                phone=phone,
                is_staff=name == "staff",
            )
        with app.app_context():
            for name, (lat, long) in PLACES.items():
                db.session.add(Location(owner_id=self.accounts[name].id, lat=lat, long=long))
            db.session.commit()
        block(app, self.owner, self.blocked)

    # --- people ---------------------------------------------------------------------------------

    owner = property(lambda self: self.accounts["owner"])
    other = property(lambda self: self.accounts["other"])
    blocked = property(lambda self: self.accounts["blocked"])
    staff = property(lambda self: self.accounts["staff"])
    peer = property(lambda self: self.accounts["peer"])

    def account(self, role: str) -> Account | None:
        return None if role == "anon" else self.accounts[role]

    @cached_property
    def guest(self) -> Account:
        """A user in no relation to anyone, for the owner to add to a group."""
        return make_account(self.app, f"guest.{uuid.uuid4().hex[:6]}@example.com")

    # --- requests -------------------------------------------------------------------------------

    def call(self, account: Account | None, method: str, path: str, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if account is not None:
            headers.setdefault("Authorization", f"Bearer {account.access}")
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def _ok(self, response, *codes):
        assert response.status_code in (codes or (200, 201)), response.get_data(as_text=True)
        return response.get_json()

    def _as(self, account, method, path, **kwargs):
        return self._ok(self.call(account, method, path, **kwargs))

    # --- accounts -------------------------------------------------------------------------------

    @cached_property
    def status(self) -> None:
        self._as(self.owner, "POST", "/api/accounts/account/status/", json={"content": "Busy"})

    @cached_property
    def contact_id(self) -> int:
        body = {"contact": self.peer.id, "nikname": "Peer"}
        return self._as(self.owner, "POST", "/api/accounts/account/contact/", json=body)["id"]

    @cached_property
    def picture_url(self) -> str:
        body = {"profile_picture": (io.BytesIO(png()), "me.png")}
        profile = self._as(
            self.owner,
            "PATCH",
            "/api/accounts/account/profile/",
            data=body,
            content_type="multipart/form-data",
        )
        return profile["profile_picture"]

    @property
    def picture_path(self) -> str:
        return self.local_path(self.picture_url)

    # --- posts ----------------------------------------------------------------------------------

    @cached_property
    def post(self) -> str:
        data = {"content": "The owner's post", "images": [(io.BytesIO(png()), "p.png")]}
        return self._as(
            self.owner, "POST", "/api/posts/post/", data=data, content_type="multipart/form-data"
        )["id"]

    @cached_property
    def comment(self) -> str:
        body = {"post": self.post, "comment": "First!"}
        return self._as(self.owner, "POST", "/api/posts/comment/", json=body)["id"]

    @cached_property
    def like(self) -> str:
        return self._as(self.owner, "POST", "/api/posts/like/", json={"post": self.post})["id"]

    @cached_property
    def post_view(self) -> str:
        return self._as(self.owner, "POST", "/api/posts/views/", json={"post": self.post})["id"]

    # --- stories --------------------------------------------------------------------------------

    def _story(self, account: Account) -> int:
        data = {"media": (io.BytesIO(png()), "s.png"), "caption": "Hi", "audience": "public"}
        return self._as(
            account, "POST", "/api/stories/active/", data=data, content_type="multipart/form-data"
        )["id"]

    @cached_property
    def story(self) -> int:
        return self._story(self.owner)

    @cached_property
    def expired_story(self) -> int:
        story_id = self._story(self.owner)
        hours = self.app.config["STORY_TTL_HOURS"]
        with self.app.app_context():
            db.session.execute(
                update(Story)
                .where(Story.id == story_id)
                .values(created_at=utcnow() - timedelta(hours=hours, minutes=1))
            )
            db.session.commit()
        return story_id

    @cached_property
    def peer_story(self) -> int:
        return self._story(self.peer)

    @cached_property
    def reaction(self) -> int:
        """The owner's reaction to the peer's story."""
        body = {"story": self.peer_story, "reaction": "fire"}
        return self._as(self.owner, "POST", "/api/stories/reaction/", json=body)["id"]

    # --- chat -----------------------------------------------------------------------------------

    @cached_property
    def group(self) -> str:
        body = {"room_type": "group", "name": "Owner's group", "members": [self.peer.id]}
        return self._as(self.owner, "POST", "/api/chat/rooms/", json=body)["id"]

    @cached_property
    def private_room(self) -> str:
        body = {"room_type": "private", "members": [self.peer.id]}
        return self._as(self.owner, "POST", "/api/chat/rooms/", json=body)["id"]

    @cached_property
    def message(self) -> str:
        with self.app.test_request_context():
            user = db.session.get(User, self.owner.id)
            sent = message_services.send_message(user, uuid.UUID(self.group), "Hello, group")
            return str(sent["id"])

    @cached_property
    def chat_file(self) -> dict:
        data = {"file": (io.BytesIO(b"%PDF-1.4 owner's file"), "a.pdf"), "file_type": "document"}
        return self._as(
            self.owner, "POST", "/api/chat/files/", data=data, content_type="multipart/form-data"
        )

    @cached_property
    def chat_file_path(self) -> str:
        return self.local_path(self.chat_file["file"])

    def local_path(self, url: str) -> str:
        """The path part of an absolute media URL."""
        return url[url.index(self.app.config["MEDIA_URL"]) :]

    # --- what must never reach someone else -----------------------------------------------------

    def secrets_in_database(self) -> dict[int, list[str]]:
        """Per user id: password hash, code and reset-token hashes as stored."""
        found: dict[int, list[str]] = {}
        with self.app.app_context():
            for user_id, password_hash in db.session.execute(select(User.id, User.password_hash)):
                if password_hash:
                    found.setdefault(user_id, []).append(password_hash)
            for model, column in (
                (VerificationCode, VerificationCode.code_hash),
                (PasswordResetToken, PasswordResetToken.token_hash),
            ):
                for user_id, value in db.session.execute(select(model.user_id, column)):
                    found.setdefault(user_id, []).append(value)
        return found
