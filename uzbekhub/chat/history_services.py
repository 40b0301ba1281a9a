"""A room's history page (GET /api/chat/message/<room>/list_by_room/) straight to JSON.

One statement besides the caller's token when no message of the page carries files (two
when some do): the page's messages with their sender, the room's kept `message_count`
riding along and the membership checked in the same statement. Only a page without rows
(an empty room, a page past the end, or no membership) asks `require_member` apart. The
statements select the columns the answer shows and are built once; the rows are shaped as
ChatMessageSchema dumps a message (tests/chat/test_history_contract.py holds them to it).
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from functools import cache

from sqlalchemy import Select, bindparam, exists, select

from uzbekhub.accounts.models import User
from uzbekhub.accounts.user_rows import BRIEF_COLUMNS, brief_of
from uzbekhub.chat.lookups import require_member
from uzbekhub.chat.models import ChatFile, Message, Room, RoomMember, message_files
from uzbekhub.common.media import media_url_or_none
from uzbekhub.common.pagination import limit_offset_envelope_of
from uzbekhub.common.reads import untransacted


@cache
def _page() -> Select:
    room_id, caller_id = bindparam("room_id"), bindparam("caller_id")
    is_member = exists().where(RoomMember.room_id == room_id, RoomMember.user_id == caller_id)
    total = select(Room.message_count).where(Room.id == room_id).scalar_subquery()
    has_files = exists().where(message_files.c.message_id == Message.id)
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
            has_files.label("has_files"),
            total.label("total"),
        )
        .outerjoin(User, User.id == Message.sender_id)
        .where(Message.room_id == room_id, is_member)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@cache
def _attachments() -> Select:
    return (
        select(
            message_files.c.message_id,
            ChatFile.id,
            ChatFile.unique_id,
            ChatFile.file,
            ChatFile.file_type,
            ChatFile.file_size,
            ChatFile.is_temporary,
            ChatFile.uploaded_at,
        )
        .join(ChatFile, ChatFile.id == message_files.c.file_id)
        .where(message_files.c.message_id.in_(bindparam("message_ids", expanding=True)))
        .order_by(ChatFile.id)
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
        rows = reader.execute(_page(), params).all()
        files = _attachments_of(reader, [row.id for row in rows if row.has_files])
    total = rows[0].total if rows else require_member(room_id, caller_id).room.message_count
    return limit_offset_envelope_of(args, total, [_message(row, files[row.id]) for row in rows])


def _attachments_of(reader, message_ids: Sequence[uuid.UUID]) -> defaultdict[uuid.UUID, list[dict]]:
    files = defaultdict(list)
    if message_ids:
        for row in reader.execute(_attachments(), {"message_ids": message_ids}):
            files[row.message_id].append(
                {
                    "id": row.id,
                    "unique_id": row.unique_id,
                    "file": media_url_or_none(row.file),
                    "file_type": row.file_type,
                    "file_size": row.file_size,
                    "is_temporary": row.is_temporary,
                    "uploaded_at": row.uploaded_at,
                }
            )
    return files


def _message(row, attachments: list[dict]) -> dict:
    return {
        "id": row.id,
        "room": row.room_id,
        "sender": brief_of(row),
        "text": row.text,
        "reply_to": row.reply_to_id,
        "attachments": attachments,
        "is_edited": row.is_edited,
        "created_at": row.created_at,
        "update_at": row.update_at,
    }
