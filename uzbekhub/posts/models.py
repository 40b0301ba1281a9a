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
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from uzbekhub.accounts.models import User, user_fk
from uzbekhub.common.db import UTCDateTime, UUIDType, create_triggers_after, new_uuid, utcnow
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


class PostCount(db.Model):
    """How many active posts a user owns, kept by database triggers (on `posts`).

    The feed's `count` sums these over the owners the caller may see, so it costs the
    same for a million posts as for a thousand. Triggers, not services, keep it, so it
    stays exact however posts change: services, account-deletion cascades, moderation.
    """

    __tablename__ = "post_counts"

    owner_id: Mapped[int] = mapped_column(user_fk(), primary_key=True)
    active_posts: Mapped[int] = mapped_column(Integer, default=0)


class PostImage(db.Model):
    __tablename__ = "post_images"
    __table_args__ = (Index("ix_post_images_post_id_position", "post_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True, default=new_uuid)
    post_id: Mapped[uuid.UUID] = mapped_column(UUIDType, post_fk())
    # The stored file's path relative to MEDIA_ROOT.
    image: Mapped[str] = mapped_column(String(255))
    # Upload order, kept when images are added or removed later.
    position: Mapped[int] = mapped_column(Integer)
    # Bytes stored, counted against the owner's media quota (0 before migration 0006).
    file_size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostTallyMixin:
    """A like or a view: one per user and post, listed per post newest first, and counted in
    the post's `like_count` or `view_count`."""

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True, default=new_uuid)
    owner_id: Mapped[int] = mapped_column(user_fk())
    post_id: Mapped[uuid.UUID] = mapped_column(UUIDType, post_fk())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (
            UniqueConstraint("post_id", "owner_id"),
            Index(f"ix_{cls.__tablename__}_post_id_created_at", "post_id", "created_at"),
            Index(f"ix_{cls.__tablename__}_owner_id", "owner_id"),
        )

    @declared_attr
    def owner(cls) -> Mapped[User]:
        return relationship(lazy="raise_on_sql")


class PostLike(PostTallyMixin, db.Model):
    __tablename__ = "post_likes"


class PostView(PostTallyMixin, db.Model):
    __tablename__ = "post_views"


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


# --- the triggers that keep post_counts (also run by migration 0005) --------------------------

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION keep_post_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.is_active THEN
        UPDATE post_counts SET active_posts = active_posts - 1 WHERE owner_id = OLD.owner_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.is_active THEN
        INSERT INTO post_counts (owner_id, active_posts) VALUES (NEW.owner_id, 1)
        ON CONFLICT (owner_id) DO UPDATE SET active_posts = post_counts.active_posts + 1;
    END IF;
    RETURN NULL;
END
$$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER posts_keep_counts AFTER INSERT OR DELETE ON posts "
    "FOR EACH ROW EXECUTE FUNCTION keep_post_counts()",
    "CREATE TRIGGER posts_keep_counts_on_update AFTER UPDATE OF is_active, owner_id ON posts "
    "FOR EACH ROW WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active "
    "OR OLD.owner_id IS DISTINCT FROM NEW.owner_id) EXECUTE FUNCTION keep_post_counts()",
)
_SQLITE_COUNT_UP = (
    "INSERT INTO post_counts (owner_id, active_posts) SELECT NEW.owner_id, 1 WHERE NEW.is_active "
    "ON CONFLICT (owner_id) DO UPDATE SET active_posts = active_posts + 1;"
)
_SQLITE_COUNT_DOWN = (
    "UPDATE post_counts SET active_posts = active_posts - 1 "
    "WHERE OLD.is_active AND owner_id = OLD.owner_id;"
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER posts_keep_counts_on_insert AFTER INSERT ON posts "
    f"BEGIN {_SQLITE_COUNT_UP} END",
    "CREATE TRIGGER posts_keep_counts_on_delete AFTER DELETE ON posts "
    f"BEGIN {_SQLITE_COUNT_DOWN} END",
    "CREATE TRIGGER posts_keep_counts_on_update AFTER UPDATE OF is_active, owner_id ON posts "
    "WHEN OLD.is_active IS NOT NEW.is_active OR OLD.owner_id IS NOT NEW.owner_id "
    f"BEGIN {_SQLITE_COUNT_DOWN} {_SQLITE_COUNT_UP} END",
)
BACKFILL_POST_COUNTS = (
    "INSERT INTO post_counts (owner_id, active_posts) "
    "SELECT owner_id, count(*) FROM posts WHERE is_active GROUP BY owner_id"
)


create_triggers_after(
    "posts", {"postgresql": (_PG_FUNCTION, *_PG_TRIGGERS), "sqlite": _SQLITE_TRIGGERS}
)
