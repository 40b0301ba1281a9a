from datetime import datetime

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from uzbekhub.common.db import UTCDateTime, utcnow
from uzbekhub.extensions import db


def full_name_of(first_name: str | None, last_name: str | None, username: str) -> str:
    """The name shown for a user: first and last name, or the username when both are empty."""
    joined = f"{first_name or ''} {last_name or ''}".strip()
    return joined or username


def user_fk() -> ForeignKey:
    """A reference to a user that goes away with the user (deletion is a hard delete)."""
    return ForeignKey("users.id", ondelete="CASCADE")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # None means the account has no usable password (created through Google).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str] = mapped_column(String(25))
    first_name: Mapped[str] = mapped_column(String(150), default="")
    last_name: Mapped[str] = mapped_column(String(150), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    profile_picture: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    date_joined: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_online: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped to revoke every token issued before (password reset/change, deletion).
    token_version: Mapped[int] = mapped_column(Integer, default=0)

    location: Mapped["Location | None"] = relationship(
        back_populates="owner", uselist=False, passive_deletes=True, lazy="raise_on_sql"
    )
    status: Mapped["Status | None"] = relationship(
        back_populates="user", uselist=False, passive_deletes=True, lazy="raise_on_sql"
    )

    @property
    def full_name(self) -> str:
        return full_name_of(self.first_name, self.last_name, self.username)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"


# Usernames are unique whatever their case.
Index("uq_users_username_lower", func.lower(User.username), unique=True)

# Search (`ILIKE '%key%'` on any of the names) on PostgreSQL: trigrams find the matches
# without reading every user. SQLite scans; the migration builds it on PostgreSQL only.
Index(
    "ix_users_names_trgm",
    User.username,
    User.first_name,
    User.last_name,
    postgresql_using="gin",
    postgresql_ops=dict.fromkeys(("username", "first_name", "last_name"), "gin_trgm_ops"),
).ddl_if(dialect="postgresql")
event.listen(
    db.metadata,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


class Location(db.Model):
    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        CheckConstraint("long >= -180 AND long <= 180", name="long_range"),
        Index("ix_locations_lat_long", "lat", "long"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(user_fk(), unique=True)
    lat: Mapped[float] = mapped_column(Float)
    long: Mapped[float] = mapped_column(Float)
    country: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    county: Mapped[str | None] = mapped_column(String(100))
    neighbourhood: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    update_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship(back_populates="location", lazy="raise_on_sql")


class Status(db.Model):
    __tablename__ = "statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(user_fk(), unique=True)
    content: Mapped[str] = mapped_column(String(55))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="status", lazy="raise_on_sql")


class Contact(db.Model):
    """`owner` has added `contact` to their address book (one-way)."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("owner_id", "contact_id"),
        CheckConstraint("owner_id <> contact_id", name="not_self"),
        Index("ix_contacts_contact_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(user_fk())
    contact_id: Mapped[int] = mapped_column(user_fk())
    nikname: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    update_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    contact: Mapped[User] = relationship(foreign_keys=[contact_id], lazy="raise_on_sql")


class Block(db.Model):
    """`user` has blocked `blocked_user`; the rules apply both ways."""

    __tablename__ = "blocks"
    __table_args__ = (
        UniqueConstraint("user_id", "blocked_user_id"),
        CheckConstraint("user_id <> blocked_user_id", name="not_self"),
        Index("ix_blocks_blocked_user_id", "blocked_user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(user_fk())
    blocked_user_id: Mapped[int] = mapped_column(user_fk())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    blocked_user: Mapped[User] = relationship(foreign_keys=[blocked_user_id], lazy="raise_on_sql")


class VerificationCode(db.Model):
    """A 5-digit code mailed to a user, stored as an HMAC, single use. A sign-up code
    carries the password of its own sign-up attempt, which it alone activates."""

    __tablename__ = "verification_codes"
    __table_args__ = (
        Index("ix_verification_codes_lookup", "purpose", "code_hash"),
        Index("ix_verification_codes_user", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(user_fk())
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    new_email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PasswordResetToken(db.Model):
    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(user_fk(), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RevokedToken(db.Model):
    """Token blocklist when Redis is not configured: rotated refresh tokens (by jti) and
    ended sessions (by session id); rows outlive the tokens by nothing."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
