"""`flask --app wsgi media migrate`: copy the local media (MEDIA_ROOT) into the bucket of
MEDIA_STORAGE=s3. Idempotent: files already in the bucket are left alone, so it can be run
again after an interruption, or once more after switching to catch the last uploads."""

import click
from flask import current_app
from flask.cli import AppGroup

from uzbekhub.common.media import content_type_of
from uzbekhub.common.storage import LocalStorage, storage

media_cli = AppGroup("media", help="Media storage commands.")


@media_cli.command("migrate")
def migrate_media() -> None:
    """Copy local media into the S3 bucket (MEDIA_STORAGE=s3)."""
    if current_app.config["MEDIA_STORAGE"] != "s3":
        raise click.ClickException("set MEDIA_STORAGE=s3 (and S3_BUCKET) to migrate media")
    source = LocalStorage(current_app.config["MEDIA_ROOT"])
    target = storage()
    copied = present = 0
    for path, _written in source.listing():
        if target.exists(path):
            present += 1
            continue
        target.write(path, source.read(path), content_type_of(path))
        copied += 1
        click.echo(f"copied {path}")
    click.echo(f"{copied} copied, {present} already in the bucket")
