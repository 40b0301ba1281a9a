from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from uzbekhub.common.db import UTCDateTime, utcnow
from uzbekhub.extensions import db

CONTENT_MAX = 600


class PublicComment(db.Model):
    """A comment left by anyone, without an account (not a post comment)."""

    __tablename__ = "public_comments"
    __table_args__ = (CheckConstraint("length(content) >= 1", name="content_not_empty"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[str] = mapped_column(String(CONTENT_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
