"""Chat: rooms, their members and roles, messages, and uploaded files.

The `ondelete` rules do the dependent deletes (SQLite enforces them too, see
`uzbekhub.common.db`): a room takes its members and messages, a message or a file
its attachment links; a deleted message leaves its replies with `reply_to` null.
"""

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from uzbekhub.accounts.models import User, user_fk
from uzbekhub.common.db import UTCDateTime, UUIDType, new_uuid, utcnow
from uzbekhub.extensions import db

PRIVATE = "private"
GROUP = "group"
ROOM_TYPES = (PRIVATE, GROUP)

OWNER = "owner"
ADMIN = "admin"
MEMBER = "member"

FILE_TYPES = ("image", "video", "voice", "document", "other")
MAX_TEXT = 4000


class Room(db.Model):
    """A private room (two members, unique per pair) or a group.

    `private_low_id`/`private_high_id` hold a private room's pair, smaller id
    first; their unique constraint keeps one room per pair even when both users
    create it at the same moment. Groups leave them empty.
    """

    __tablename__ = "chat_rooms"
    __table_args__ = (
        CheckConstraint("room_type IN ('private', 'group')", name="room_type"),
        CheckConstraint(
            "room_type = 'private' OR (private_low_id IS NULL AND private_high_id IS NULL)",
            name="pair_only_private",
        ),
        CheckConstraint("private_low_id < private_high_id", name="pair_ordered"),
        CheckConstraint("message_count >= 0", name="message_count_not_negative"),
        UniqueConstraint("private_low_id", "private_high_id"),
        Index("ix_chat_rooms_private_high_id", "private_high_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True, default=new_uuid)
    room_type: Mapped[str] = mapped_column(String(10))
    name: Mapped[str | None] = mapped_column(String(100))
    username: Mapped[str | None] = mapped_column(String(25))
    description: Mapped[str | None] = mapped_column(Text)
    profile_pic: Mapped[str | None] = mapped_column(String(255))
    private_low_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    private_high_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept by the services in the transaction that adds or removes messages, so that a
    # history page's `count` costs the same for a million messages as for ten.
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list["RoomMember"]] = relationship(
        back_populates="room",
        order_by="[RoomMember.joined_at, RoomMember.id]",
        passive_deletes=True,
        lazy="raise_on_sql",
    )

    # Filled per caller by the services before a room is answered; not columns.
    last_message = None
    unread_count = 0

    @property
    def is_group(self) -> bool:
        return self.room_type == GROUP

    @property
    def member_users(self) -> list[User]:
        return [member.user for member in self.members]

    def __repr__(self) -> str:
        return f"<Room {self.id} {self.room_type}>"


# Room usernames are unique whatever their case (a separate namespace from users').
Index("uq_chat_rooms_username_lower", func.lower(Room.username), unique=True)


class RoomMember(db.Model):
    """A user in a room with a role; `last_read_at` is their read marker."""

    __tablename__ = "chat_members"
    __table_args__ = (
        UniqueConstraint("room_id", "user_id"),
        CheckConstraint("role IN ('owner', 'admin', 'member')", name="role"),
        Index("ix_chat_members_user_id", "user_id"),
        # At most one owner per room, whatever the services do.
        Index(
            "uq_chat_members_one_owner",
            "room_id",
            unique=True,
            sqlite_where=text("role = 'owner'"),
            postgresql_where=text("role = 'owner'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chat_rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(user_fk())
    role: Mapped[str] = mapped_column(String(10), default=MEMBER)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[Room] = relationship(back_populates="members", lazy="raise_on_sql")
    user: Mapped[User] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<RoomMember {self.room_id} {self.user_id} {self.role}>"


message_files = Table(
    "chat_message_files",
    db.metadata,
    Column(
        "message_id",
        UUIDType,
        ForeignKey("chat_messages.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("file_id", Integer, ForeignKey("chat_files.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_chat_message_files_file_id", "file_id"),
)


class Message(db.Model):
    __tablename__ = "chat_messages"
    __table_args__ = (
        CheckConstraint(f"length(text) <= {MAX_TEXT}", name="text_length"),
        # History is read newest first per room; the id breaks ties of equal times.
        Index("ix_chat_messages_room_created", "room_id", "created_at", "id"),
        Index("ix_chat_messages_sender_id", "sender_id"),
        Index("ix_chat_messages_reply_to_id", "reply_to_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True, default=new_uuid)
    room_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chat_rooms.id", ondelete="CASCADE"))
    # A deleted account's messages stay in the others' history, without a sender.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    reply_to_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="SET NULL")
    )
    is_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    update_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[User | None] = relationship(lazy="raise_on_sql")
    attachments: Mapped[list["ChatFile"]] = relationship(
        secondary=message_files, order_by="ChatFile.id", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Message {self.id} in {self.room_id}>"


class ChatFile(db.Model):
    """One uploader's record of some bytes; the bytes are stored once per SHA-256."""

    __tablename__ = "chat_files"
    __table_args__ = (
        UniqueConstraint("uploader_id", "unique_id"),
        CheckConstraint(
            "file_type IN ('image', 'video', 'voice', 'document', 'other')", name="file_type"
        ),
        CheckConstraint("file_size > 0", name="file_size_positive"),
        Index("ix_chat_files_unique_id", "unique_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uploader_id: Mapped[int] = mapped_column(user_fk())
    unique_id: Mapped[str] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(String(255))
    file_type: Mapped[str] = mapped_column(String(10))
    file_size: Mapped[int] = mapped_column(Integer)
    is_temporary: Mapped[bool] = mapped_column(Boolean, default=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ChatFile {self.id} {self.unique_id[:12]}>"
