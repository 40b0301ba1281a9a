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

    The feed's `count` reads these (and `public_post_totals`, kept from them) instead of
    counting posts, so it costs the same for a million posts as for a thousand. Triggers,
    not services, keep it, so it stays exact however posts change: services,
    account-deletion cascades, moderation.
    """

    __tablename__ = "post_counts"

    owner_id: Mapped[int] = mapped_column(user_fk(), primary_key=True)
    active_posts: Mapped[int] = mapped_column(Integer, default=0)


class PublicPostTotal(db.Model):
    """The active posts of public users (active, not private), kept by database triggers
    (on `post_counts` and `users`), in 16 rows: a user's posts count in shard `id % 16`.

    Most users see exactly the public users, so the feed's `count` starts from this total
    and corrects it only for the few users seen otherwise (services.feed_total). The
    shards let concurrent posts of different users rarely wait for one row lock.
    """

    __tablename__ = "public_post_totals"

    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
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


# --- the triggers that keep public_post_totals (also run by migration 0012) -------------------
# "Public" is visibility.public_user in SQL: is_active AND NOT is_private. A user's deletion
# is counted before the row goes (BEFORE DELETE), while post_counts still holds their posts;
# the cascades that follow find no user and change nothing. On PostgreSQL a change of
# post_counts locks its owner's row (FOR SHARE), so that a concurrent change of the owner's
# publicity either waits for it or is seen by it.

_PG_PUBLIC_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION add_public_posts(owner integer, posts integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public_post_totals (shard, active_posts) VALUES (mod(owner, 16), posts)
    ON CONFLICT (shard) DO UPDATE
    SET active_posts = public_post_totals.active_posts + EXCLUDED.active_posts;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION add_posts_if_public(owner integer, posts integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    public boolean;
BEGIN
    SELECT is_active AND NOT is_private INTO public FROM users WHERE id = owner FOR SHARE;
    IF public AND posts <> 0 THEN
        PERFORM add_public_posts(owner, posts);
    END IF;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION keep_public_post_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.owner_id = NEW.owner_id THEN
        PERFORM add_posts_if_public(NEW.owner_id, NEW.active_posts - OLD.active_posts);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM add_posts_if_public(OLD.owner_id, -OLD.active_posts);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM add_posts_if_public(NEW.owner_id, NEW.active_posts);
    END IF;
    RETURN NULL;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION keep_public_post_totals_of_user() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    posts integer;
BEGIN
    SELECT active_posts INTO posts FROM post_counts WHERE owner_id = OLD.id;
    IF posts <> 0 THEN
        IF TG_OP = 'UPDATE' AND NEW.is_active AND NOT NEW.is_private THEN
            PERFORM add_public_posts(OLD.id, posts);
        ELSE
            PERFORM add_public_posts(OLD.id, -posts);
        END IF;
    END IF;
    RETURN OLD;
END
$$
""",
)
_PUBLICITY_CHANGED = (
    "(OLD.is_active AND NOT OLD.is_private) IS DISTINCT FROM (NEW.is_active AND NOT NEW.is_private)"
)
_PG_PUBLIC_TRIGGERS = (
    "CREATE TRIGGER post_counts_keep_public_totals AFTER INSERT OR DELETE ON post_counts "
    "FOR EACH ROW EXECUTE FUNCTION keep_public_post_totals()",
    "CREATE TRIGGER post_counts_keep_public_totals_on_update "
    "AFTER UPDATE OF active_posts, owner_id ON post_counts FOR EACH ROW "
    "WHEN (OLD.active_posts IS DISTINCT FROM NEW.active_posts "
    "OR OLD.owner_id IS DISTINCT FROM NEW.owner_id) EXECUTE FUNCTION keep_public_post_totals()",
    "CREATE TRIGGER users_keep_public_post_totals_on_update "
    "AFTER UPDATE OF is_active, is_private ON users FOR EACH ROW "
    f"WHEN ({_PUBLICITY_CHANGED}) EXECUTE FUNCTION keep_public_post_totals_of_user()",
    "CREATE TRIGGER users_keep_public_post_totals_on_delete BEFORE DELETE ON users "
    "FOR EACH ROW WHEN (OLD.is_active AND NOT OLD.is_private) "
    "EXECUTE FUNCTION keep_public_post_totals_of_user()",
)


def _sqlite_add_public_posts(owner: str, posts: str, where: str) -> str:
    return (
        "INSERT INTO public_post_totals (shard, active_posts) "
        f"SELECT {owner} % 16, {posts} {where} "
        "ON CONFLICT (shard) DO UPDATE SET active_posts = active_posts + excluded.active_posts;"
    )


def _sqlite_if_public(owner: str, posts: str) -> str:
    return _sqlite_add_public_posts(
        owner, posts, f"FROM users WHERE id = {owner} AND is_active AND NOT is_private"
    )


def _sqlite_of_user(sign: str) -> str:
    return _sqlite_add_public_posts(
        "OLD.id", f"{sign}active_posts", "FROM post_counts WHERE owner_id = OLD.id"
    )


_SQLITE_PUBLIC_TRIGGERS = (
    "CREATE TRIGGER post_counts_keep_public_totals_on_insert AFTER INSERT ON post_counts "
    f"BEGIN {_sqlite_if_public('NEW.owner_id', 'NEW.active_posts')} END",
    "CREATE TRIGGER post_counts_keep_public_totals_on_delete AFTER DELETE ON post_counts "
    f"BEGIN {_sqlite_if_public('OLD.owner_id', '-OLD.active_posts')} END",
    "CREATE TRIGGER post_counts_keep_public_totals_on_update "
    "AFTER UPDATE OF active_posts, owner_id ON post_counts "
    "WHEN OLD.active_posts IS NOT NEW.active_posts OR OLD.owner_id IS NOT NEW.owner_id BEGIN "
    f"{_sqlite_if_public('OLD.owner_id', '-OLD.active_posts')} "
    f"{_sqlite_if_public('NEW.owner_id', 'NEW.active_posts')} END",
    "CREATE TRIGGER users_keep_public_post_totals_on_update "
    "AFTER UPDATE OF is_active, is_private ON users "
    f"WHEN {_PUBLICITY_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN "
    f"{_sqlite_of_user('CASE WHEN NEW.is_active AND NOT NEW.is_private THEN 1 ELSE -1 END * ')} "
    "END",
    "CREATE TRIGGER users_keep_public_post_totals_on_delete BEFORE DELETE ON users "
    f"WHEN OLD.is_active AND NOT OLD.is_private BEGIN {_sqlite_of_user('-')} END",
)
BACKFILL_PUBLIC_POST_TOTALS = (
    "INSERT INTO public_post_totals (shard, active_posts) "
    "SELECT post_counts.owner_id % 16, sum(post_counts.active_posts) "
    "FROM post_counts JOIN users ON users.id = post_counts.owner_id "
    "WHERE users.is_active AND NOT users.is_private "
    "GROUP BY post_counts.owner_id % 16"
)


create_triggers_after(
    "public_post_totals",
    {
        "postgresql": (*_PG_PUBLIC_FUNCTIONS, *_PG_PUBLIC_TRIGGERS),
        "sqlite": _SQLITE_PUBLIC_TRIGGERS,
    },
)
