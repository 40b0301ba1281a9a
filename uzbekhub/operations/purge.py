"""`flask --app wsgi purge [--dry-run]`: housekeeping for a scheduler (cron, Heroku Scheduler).

Removes expired codes, reset tokens and blocklist rows, chat files uploaded and never sent
within CHAT_TEMP_FILE_HOURS, and stored media files that no row refers to. Safe while the
service serves: each removal is one statement whose condition still holds when it runs
(a file sent meanwhile is no longer temporary), and a media file younger than
ORPHAN_GRACE is kept, since an upload writes its file before its row commits.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import ColumnElement, delete, func, select, union

from uzbekhub.accounts.models import PasswordResetToken, RevokedToken, User, VerificationCode
from uzbekhub.chat.models import ChatFile, Room, message_files
from uzbekhub.common.db import utcnow
from uzbekhub.common.storage import storage
from uzbekhub.extensions import db
from uzbekhub.posts.models import PostImage
from uzbekhub.stories.models import Story

ORPHAN_GRACE = timedelta(hours=1)


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def referenced_paths(now: datetime) -> set[str]:
    """The paths rows refer to, leaving out the chat files this purge removes (so that a dry
    run names the same files as the real one)."""
    columns = (User.profile_picture, Room.profile_pic, PostImage.image, Story.media)
    every = union(
        *(select(column).where(column.is_not(None)) for column in columns),
        select(ChatFile.file).where(~_unsent_chat_files(now)),
    )
    return set(db.session.scalars(select(every.subquery().c[0])))


def _rows(model, condition, dry_run: bool) -> int:
    if dry_run:
        return db.session.scalar(select(func.count()).select_from(model).where(condition))
    removed = db.session.execute(delete(model).where(condition)).rowcount
    db.session.commit()
    return removed


def _unsent_chat_files(now: datetime) -> ColumnElement[bool]:
    cutoff = now - timedelta(hours=current_app.config["CHAT_TEMP_FILE_HOURS"])
    attached = select(message_files.c.file_id)
    return (
        ChatFile.is_temporary.is_(True)
        & (ChatFile.uploaded_at < cutoff)
        & ChatFile.id.not_in(attached)
    )


def orphaned_files(now: datetime) -> list[str]:
    """Stored files no row refers to, written before the grace period."""
    listed = list(storage().listing())
    referenced = referenced_paths(now)
    return [
        path for path, written in listed if path not in referenced and written < now - ORPHAN_GRACE
    ]


def purge(dry_run: bool = False) -> Report:
    now = utcnow()
    report = Report()
    tables: Iterable[tuple[str, type, Callable]] = (
        ("expired codes", VerificationCode, lambda: VerificationCode.expires_at < now),
        ("expired reset tokens", PasswordResetToken, lambda: PasswordResetToken.expires_at < now),
        ("expired blocklist rows", RevokedToken, lambda: RevokedToken.expires_at < now),
        ("unsent chat files", ChatFile, lambda: _unsent_chat_files(now)),
    )
    for label, model, condition in tables:
        report.counts[label] = _rows(model, condition(), dry_run)
    # After the rows: the bytes of the unsent chat files just removed are orphans now.
    report.files = orphaned_files(now)
    if not dry_run:
        for path in report.files:
            storage().delete(path)
    report.counts["unreferenced media files"] = len(report.files)
    return report


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only print what would be removed.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Remove expired rows, unsent chat files and media files no row refers to."""
    report = purge(dry_run)
    verb = "would remove" if dry_run else "removed"
    for label, count in report.counts.items():
        click.echo(f"{verb} {count} {label}")
    for path in report.files:
        click.echo(f"{verb} media file {path}")
