"""Chat test helpers: URLs, rooms made through the API, messages sent through the services."""

import io
import uuid
from dataclasses import dataclass

from tests.support.factories import Account
from uzbekhub.accounts.models import User
from uzbekhub.chat import message_services
from uzbekhub.extensions import db

ROOMS = "/api/chat/rooms/"
MEMBERS = "/api/chat/members/{}/{}/"
HISTORY = "/api/chat/message/{}/list_by_room/"
MESSAGE = "/api/chat/message/{}/"
FILES = "/api/chat/files/"


def room_url(room_id) -> str:
    return f"{ROOMS}{room_id}/"


def create_group(client, owner: Account, members=(), **fields) -> str:
    body = {"room_type": "group", "name": "Team", "members": [m.id for m in members], **fields}
    response = client.post(ROOMS, json=body, headers=owner.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def create_private(client, caller: Account, other: Account) -> str:
    response = client.post(
        ROOMS, json={"room_type": "private", "members": [other.id]}, headers=caller.headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def member_action(client, caller: Account, room_id, action: str, target=None):
    body = {"user_id": target.id if isinstance(target, Account) else target}
    return client.post(
        MEMBERS.format(room_id, action),
        json=body if target is not None else None,
        headers=caller.headers,
    )


def as_user(account: Account) -> User:
    return db.session.get(User, account.id)


def send(app, account: Account, room_id, text="hello", **kwargs) -> str:
    """A message sent through the service the sockets use; returns its id."""
    with app.test_request_context():
        message = message_services.send_message(
            as_user(account), uuid.UUID(str(room_id)), text, **kwargs
        )
        return message["id"]


def upload(client, account: Account, data: bytes = b"some bytes", file_type="document", name="f"):
    return client.post(
        FILES,
        data={"file": (io.BytesIO(data), name), "file_type": file_type},
        headers=account.headers,
        content_type="multipart/form-data",
    )


@dataclass
class Cast:
    """A group and one user in each relation to it."""

    room: str
    owner: Account
    admin: Account
    member: Account
    outsider: Account

    def by_role(self, role: str) -> Account:
        return getattr(self, role)


def of_type(recorded, kind: str) -> list:
    return [event for event in recorded if event.type == kind]
