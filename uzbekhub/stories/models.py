from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from uzbekhub.accounts.models import User, user_fk
from uzbekhub.common.db import UTCDateTime, utcnow
from uzbekhub.extensions import db

AUDIENCES = ("public", "contact", "marked")


def active_since() -> datetime:
    """Stories created after this moment are active; expiry is computed, never stored."""
    return utcnow() - timedelta(hours=float(current_app.config["STORY_TTL_HOURS"]))


def story_fk() -> ForeignKey:
    return ForeignKey("stories.id", ondelete="CASCADE")


class Story(db.Model):
    __tablename__ = "stories"
    __table_args__ = (
        CheckConstraint("audience IN ('public', 'contact', 'marked')", name="audience_known"),
        # The caller's active stories, a user's stories and the archive: owner + time range.
        Index("ix_stories_owner_id_created_at", "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(user_fk())
    media: Mapped[str] = mapped_column(String(255))
    # Bytes stored, counted against the owner's media quota (0 before migration 0006).
    media_size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    caption: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(10), default="public")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship(lazy="raise_on_sql")
    marks: Mapped[list["StoryMark"]] = relationship(
        order_by="StoryMark.user_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise_on_sql",
    )

    @hybrid_property
    def is_active(self) -> bool:
        """A Python bool on a story, an SQL condition on the class."""
        return self.created_at > active_since()

    @property
    def marked(self) -> list[int]:
        return [mark.user_id for mark in self.marks]


class StoryMark(db.Model):
    """A user marked on a story; for audience `marked`, the only users who see it."""

    __tablename__ = "story_marks"
    __table_args__ = (Index("ix_story_marks_user_id", "user_id"),)

    story_id: Mapped[int] = mapped_column(story_fk(), primary_key=True)
    user_id: Mapped[int] = mapped_column(user_fk(), primary_key=True)


class StoryView(db.Model):
    __tablename__ = "story_views"
    __table_args__ = (
        UniqueConstraint("story_id", "viewer_id"),
        Index("ix_story_views_viewer_id", "viewer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(story_fk())
    viewer_id: Mapped[int] = mapped_column(user_fk())
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryReaction(db.Model):
    __tablename__ = "story_reactions"
    __table_args__ = (
        UniqueConstraint("story_id", "user_id"),
        Index("ix_story_reactions_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(story_fk())
    user_id: Mapped[int] = mapped_column(user_fk())
    reaction: Mapped[str] = mapped_column(String(32))
    reacted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
