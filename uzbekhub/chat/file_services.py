"""Chat files: uploads stored once per content, attached to messages, served to those who
may see them."""

import hashlib

import filetype
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased
from werkzeug.datastructures import FileStorage

from uzbekhub.accounts.models import User
from uzbekhub.chat.models import ChatFile, Message, RoomMember, message_files
from uzbekhub.common.db import unique_savepoint, utcnow
from uzbekhub.common.media import delete_after_success, delete_now, read_upload, store
from uzbekhub.common.quota import require_room
from uzbekhub.extensions import db

CHAT_FILES = "chat_files"


def files_query(caller: User) -> Select:
    return (
        select(ChatFile)
        .where(ChatFile.uploader_id == caller.id)
        .order_by(ChatFile.uploaded_at.desc(), ChatFile.id.desc())
    )


def _file_extension(data: bytes) -> str:
    kind = filetype.guess(data[:8192])
    return kind.extension if kind is not None else "bin"


def _own_record(user_id: int, digest: str) -> ChatFile | None:
    return db.session.scalar(
        select(ChatFile).where(ChatFile.uploader_id == user_id, ChatFile.unique_id == digest)
    )


def media_bytes(user_id: int) -> Select:
    """The bytes of the user's chat files (for the media quota)."""
    return select(func.coalesce(func.sum(ChatFile.file_size), 0)).where(
        ChatFile.uploader_id == user_id
    )


def upload_file(caller: User, upload: FileStorage, file_type: str) -> tuple[ChatFile, bool]:
    """The caller's record of the bytes: new (True), or the one they already have (False)."""
    data = read_upload(upload, "file")
    digest = hashlib.sha256(data).hexdigest()
    existing = _own_record(caller.id, digest)
    if existing is None:
        require_room(caller.id, len(data))
    # Content-addressed: identical bytes share one file (rewritten only if it went missing).
    path = store(data, CHAT_FILES, _file_extension(data), name=digest)
    if existing is not None:
        db.session.commit()
        return existing, False
    record = ChatFile(
        uploader_id=caller.id,
        unique_id=digest,
        file=path,
        file_type=file_type,
        file_size=len(data),
        is_temporary=True,
        uploaded_at=utcnow(),
    )
    with unique_savepoint() as saved:
        db.session.add(record)
    if saved.refused:
        existing = _own_record(caller.id, digest)
        if existing is None:
            raise saved.error
        db.session.commit()
        return existing, False
    db.session.commit()
    return record, True


def delete_file(caller: User, file_id: int) -> None:
    """The uploader's record goes; the bytes go with the last record that refers to them."""
    record = db.first_or_404(
        select(ChatFile).where(ChatFile.id == file_id, ChatFile.uploader_id == caller.id)
    )
    digest, path = record.unique_id, record.file
    db.session.delete(record)
    db.session.commit()
    if not db.session.scalar(select(exists().where(ChatFile.unique_id == digest))):
        delete_now(path)
    db.session.commit()


def may_fetch_file(caller: User, path: str) -> bool:
    """The uploader of the bytes at `path`, or a member of a room where they were sent."""
    digest = path.rsplit("/", 1)[-1].split(".", 1)[0]
    same_bytes = and_(ChatFile.unique_id == digest, ChatFile.file == path)
    records = select(ChatFile.id).where(same_bytes)
    uploaded = exists().where(same_bytes, ChatFile.uploader_id == caller.id)
    sent_to_me = exists().where(
        message_files.c.file_id.in_(records),
        Message.id == message_files.c.message_id,
        RoomMember.room_id == Message.room_id,
        RoomMember.user_id == caller.id,
    )
    return bool(db.session.scalar(select(or_(uploaded, sent_to_me))))


def remove_files_of_user(user_id: int) -> None:
    """Account deletion: bytes that only the user's records refer to go after the commit."""
    others = aliased(ChatFile)
    paths = db.session.scalars(
        select(ChatFile.file).where(
            ChatFile.uploader_id == user_id,
            ~exists().where(others.unique_id == ChatFile.unique_id, others.uploader_id != user_id),
        )
    )
    for path in set(paths):
        delete_after_success(path)
