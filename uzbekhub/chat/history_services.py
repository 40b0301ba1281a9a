"""A room's history page (GET /api/chat/message/<room>/list_by_room/) straight to JSON.

One statement besides the caller's token: the page's messages with their sender and their
files (a JSON array per message), the room's kept `message_count` riding along and the
membership checked in the same statement. Only a page without rows
(an empty room, a page past the end, or no membership) asks `require_member` apart. The
statements select the columns the answer shows and are built once; the rows are shaped as
ChatMessageSchema dumps a message (tests/chat/test_history_contract.py holds them to it).
"""

import uuid
from functools import cache

from sqlalchemy import Select, bindparam, exists, select

from uzbekhub.accounts.models import User
from uzbekhub.accounts.user_rows import BRIEF_COLUMNS, brief_of
from uzbekhub.chat.lookups import require_member
from uzbekhub.chat.models import ChatFile, Message, Room, RoomMember, message_files
from uzbekhub.common.db import json_datetime, json_rows
from uzbekhub.common.media import media_url_or_none
from uzbekhub.common.pagination import limit_offset_envelope_of
from uzbekhub.common.reads import named_rows, untransacted


@cache
def _page() -> Select:
    room_id, caller_id = bindparam("room_id"), bindparam("caller_id")
    is_member = exists().where(RoomMember.room_id == room_id, RoomMember.user_id == caller_id)
    total = select(Room.message_count).where(Room.id == room_id).scalar_subquery()
    files = (
        select(
            json_rows(
                ChatFile.id,
                ChatFile.unique_id,
                ChatFile.file,
                ChatFile.file_type,
                ChatFile.file_size,
                ChatFile.is_temporary,
                ChatFile.uploaded_at,
            )
        )
        .join_from(message_files, ChatFile, ChatFile.id == message_files.c.file_id)
        .where(message_files.c.message_id == Message.id)
        .scalar_subquery()
    )
    return (
        select(
            Message.id,
            Message.room_id,
            *BRIEF_COLUMNS,
            Message.text,
            Message.reply_to_id,
            Message.is_edited,
            Message.created_at,
            Message.update_at,
            files.label("files"),
            total.label("total"),
        )
        .outerjoin(User, User.id == Message.sender_id)
        .where(Message.room_id == room_id, is_member)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def history_page(caller_id: int, room_id: uuid.UUID, args: dict) -> dict:
    """The room's messages, newest first, for a member (404 otherwise), in the limit/offset
    envelope, ready for JSON."""
    params = {
        "room_id": room_id,
        "caller_id": caller_id,
        "limit": args["limit"],
        "offset": args["offset"],
    }
    with untransacted() as reader:
        rows = named_rows(reader.execute(_page(), params))
    total = rows[0].total if rows else require_member(room_id, caller_id).room.message_count
    return limit_offset_envelope_of(args, total, [_message(row) for row in rows])


def _attachments(elements: list[list]) -> list[dict]:
    """ChatFileSchema's dumps of a message's `json_rows` of files, in the order of their ids."""
    return [
        {
            "id": file_id,
            "unique_id": unique_id,
            "file": media_url_or_none(path),
            "file_type": file_type,
            "file_size": file_size,
            "is_temporary": bool(is_temporary),
            "uploaded_at": json_datetime(uploaded_at),
        }
        for file_id, unique_id, path, file_type, file_size, is_temporary, uploaded_at in sorted(
            elements
        )
    ]


def _message(row) -> dict:
    return {
        "id": row.id,
        "room": row.room_id,
        "sender": brief_of(row),
        "text": row.text,
        "reply_to": row.reply_to_id,
        "attachments": _attachments(row.files),
        "is_edited": row.is_edited,
        "created_at": row.created_at,
        "update_at": row.update_at,
    }
