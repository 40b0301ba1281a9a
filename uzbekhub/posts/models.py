import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from uzbekhub.accounts.models import User, user_fk
from uzbekhub.common.db import UTCDateTime, UUIDType, new_uuid, utcnow
from uzbekhub.extensions import db

CONTENT_MAX = 10_000
COMMENT_MAX = 2_000
IMAGES_MAX = 10


def post_fk() -> ForeignKey:
    return ForeignKey("posts.id", ondelete="CASCADE")


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint(f"length(content) <= {CONTENT_MAX}", name="content_length"),
        # The feed: newest first, the id breaking ties.
        Index("ix_posts_created_at_id", "created_at", "id"),
        # A user's posts (?owner=, myposts), newest first.
        Index("ix_posts_owner_id_created_at", "owner_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True, default=new_uuid)
    owner_id: Mapped[int] = mapped_column(user_fk())
    content: Mapped[str] = mapped_column(Text, default="")
    # Moderation flag: no endpoint changes it; inactive posts are seen by their owner only.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(lazy="raise_on_sql")
    images: Mapped[list["PostImage"]] = relationship(
        order_by="PostImage.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise_on_sql",
    )


class PostImage(db.Model):
    __tablename__ = "post_images"
    __table_args__ = (Index("ix_post_images_post_id_position", "post_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True, default=new_uuid)
    post_id: Mapped[uuid.UUID] = mapped_column(UUIDType, post_fk())
    # The stored file's path relative to MEDIA_ROOT.
    image: Mapped[str] = mapped_column(String(255))
    # Upload order, kept when images are added or removed later.
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostLike(db.Model):
    __tablename__ = "post_likes"
    __table_args__ = (
        UniqueConstraint("post_id", "owner_id"),
        Index("ix_post_likes_post_id_created_at", "post_id", "created_at"),
        Index("ix_post_likes_owner_id", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True, default=new_uuid)
    owner_id: Mapped[int] = mapped_column(user_fk())
    post_id: Mapped[uuid.UUID] = mapped_column(UUIDType, post_fk())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship(lazy="raise_on_sql")


class PostView(db.Model):
    __tablename__ = "post_views"
    __table_args__ = (
        UniqueConstraint("post_id", "owner_id"),
        Index("ix_post_views_post_id_created_at", "post_id", "created_at"),
        Index("ix_post_views_owner_id", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True, default=new_uuid)
    owner_id: Mapped[int] = mapped_column(user_fk())
    post_id: Mapped[uuid.UUID] = mapped_column(UUIDType, post_fk())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship(lazy="raise_on_sql")


class PostComment(db.Model):
    __tablename__ = "post_comments"
    __table_args__ = (
        CheckConstraint(f"length(comment) <= {COMMENT_MAX}", name="comment_length"),
        Index("ix_post_comments_post_id_created_at", "post_id", "created_at"),
        Index("ix_post_comments_owner_id", "owner_id"),
        Index("ix_post_comments_reply_to_id", "reply_to_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True, default=new_uuid)
    owner_id: Mapped[int] = mapped_column(user_fk())
    post_id: Mapped[uuid.UUID] = mapped_column(UUIDType, post_fk())
    comment: Mapped[str] = mapped_column(Text)
    # A reply outlives the comment it answered; it then answers nothing.
    reply_to_id: Mapped[uuid.UUID | None] = mapped_column(
        UUIDType, ForeignKey("post_comments.id", ondelete="SET NULL")
    )
    is_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(lazy="raise_on_sql")
