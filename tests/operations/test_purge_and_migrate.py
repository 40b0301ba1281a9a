"""`flask purge [--dry-run]` and `flask media migrate`, through the CLI, on both storages."""

import os
import time
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.support.chat import create_private, send, upload
from tests.support.images import png
from uzbekhub.accounts.models import PasswordResetToken, RevokedToken, User, VerificationCode
from uzbekhub.chat.models import ChatFile
from uzbekhub.common.db import utcnow
from uzbekhub.common.storage import LocalStorage, storage
from uzbekhub.extensions import db
from uzbekhub.operations import purge as purge_module

HOUR = timedelta(hours=1)


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def expiring_rows(app, user_id: int) -> None:
    """One expired and one live row of each kind."""
    now = utcnow()
    with app.app_context():
        for n, expires in enumerate((now - HOUR, now + HOUR)):
            db.session.add(
                VerificationCode(
                    user_id=user_id, purpose="signup", code_hash=f"h{n}", expires_at=expires
                )
            )
            db.session.add(
                PasswordResetToken(user_id=user_id, token_hash=f"t{n}", expires_at=expires)
            )
            db.session.add(RevokedToken(jti=f"jti-{n}", expires_at=expires))
        db.session.commit()


def age_chat_file(app, record: dict, hours: float) -> None:
    """The record, and its bytes on disk, as if uploaded `hours` ago."""
    with app.app_context():
        db.session.execute(
            update(ChatFile)
            .where(ChatFile.id == record["id"])
            .values(uploaded_at=utcnow() - timedelta(hours=hours))
        )
        db.session.commit()
        if isinstance(storage(), LocalStorage):
            then = time.time() - hours * 3600
            relative = record["file"].split("/media/", 1)[1]
            os.utime(os.path.join(app.config["MEDIA_ROOT"], relative), (then, then))


def stored(app) -> set[str]:
    with app.app_context():
        return {path for path, _ in storage().listing()}


def write_orphan(app, path: str, age: timedelta) -> None:
    with app.app_context():
        storage().write(path, b"nobody's", "application/octet-stream")
        if isinstance(storage(), LocalStorage):
            then = time.time() - age.total_seconds()
            os.utime(os.path.join(app.config["MEDIA_ROOT"], path), (then, then))


@pytest.fixture
def media_storage(each_storage, monkeypatch):
    """Both storages; on S3 the written time cannot be set back, so the grace is zero."""
    if each_storage == "s3":
        monkeypatch.setattr(purge_module, "ORPHAN_GRACE", timedelta(0))
    return each_storage


def test_purge_removes_what_has_expired_and_what_nothing_refers_to(
    app, client, alice, bob, media_storage
):
    expiring_rows(app, alice.id)
    unsent_old = upload(client, alice, b"old and never sent", name="a.pdf").get_json()
    unsent_new = upload(client, alice, b"new and not sent yet", name="b.pdf").get_json()
    sent_old = upload(client, alice, b"old but sent", name="c.pdf").get_json()
    room = create_private(client, alice, bob)
    send(app, alice, room, "see", files=[sent_old["id"]])
    for record in (unsent_old, sent_old):
        age_chat_file(app, record, hours=25)
    orphan = "profile_pictures/orphan.png"
    write_orphan(app, orphan, age=2 * HOUR)
    if media_storage == "local":
        write_orphan(app, "profile_pictures/being-uploaded.png", age=timedelta(0))
    before = stored(app)

    dry = cli(app, "purge", "--dry-run")
    assert "would remove 1 expired codes" in dry
    assert "would remove 1 expired reset tokens" in dry
    assert "would remove 1 expired blocklist rows" in dry
    assert "would remove 1 unsent chat files" in dry
    assert "would remove 2 unreferenced media files" in dry
    assert f"would remove media file {orphan}" in dry
    assert stored(app) == before and count(app, ChatFile) == 3

    out = cli(app, "purge")
    assert "removed 1 expired codes" in out and "removed 1 unsent chat files" in out
    assert "removed 2 unreferenced media files" in out
    assert (count(app, VerificationCode), count(app, PasswordResetToken)) == (1, 1)
    assert count(app, RevokedToken) == 1
    with app.app_context():
        left = set(db.session.scalars(select(ChatFile.id)))
    assert left == {unsent_new["id"], sent_old["id"]}
    unsent_old_path = unsent_old["file"].split("/media/", 1)[1]
    assert stored(app) == before - {orphan, unsent_old_path}
    assert "removed 0 unreferenced media files" in cli(app, "purge")


def test_media_migrate_copies_local_media_into_the_bucket_once(app, client, alice, moto, s3_media):
    path = "profile_pictures/migrated.png"
    picture = png((9, 9, 9))
    LocalStorage(app.config["MEDIA_ROOT"]).write(path, picture, "image/png")
    with app.app_context():
        db.session.execute(update(User).where(User.id == alice.id).values(profile_picture=path))
        db.session.commit()

    first = cli(app, "media", "migrate")
    assert f"copied {path}" in first
    assert path in moto.keys(s3_media)
    again = cli(app, "media", "migrate")
    assert f"copied {path}" not in again and again.startswith("0 copied")

    served = client.get(f"/media/{path}")
    assert served.status_code == 302
    with urllib.request.urlopen(served.headers["Location"], timeout=10) as fetched:
        assert fetched.read() == picture


def test_media_migrate_needs_s3(app):
    result = app.test_cli_runner().invoke(args=["media", "migrate"])
    assert result.exit_code != 0 and "MEDIA_STORAGE=s3" in result.output
