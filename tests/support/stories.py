"""Stories for tests: media bytes, stories made through the API, the audience cast."""

import io
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from tests.support.factories import Account, block
from tests.support.images import png
from uzbekhub.common.db import utcnow
from uzbekhub.extensions import db
from uzbekhub.stories.models import Story

ACTIVE = "/api/stories/active/"
ARCHIVE = "/api/stories/archive/"
REACTION = "/api/stories/reaction/"
VIEWED = "/api/stories/viewed/"

MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 256
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" + b"\x00" * 256
)
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 256


def png_bytes(size=(8, 8), color=(200, 30, 30)) -> bytes:
    return png(color, size)


def story_form(media: bytes | None = None, name: str = "story.png", **fields) -> dict:
    """A multipart body; list values become repeated parts."""
    form = {key: value for key, value in fields.items() if value is not None}
    if media is not False:
        form["media"] = (io.BytesIO(png_bytes() if media is None else media), name)
    return form


def create_story(client, account: Account, media=None, name="story.png", **fields):
    return client.post(
        ACTIVE,
        data=story_form(media, name, **fields),
        headers=account.headers,
        content_type="multipart/form-data",
    )


def new_story(client, account: Account, **fields) -> dict:
    response = create_story(client, account, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def age_story(app, story_id: int, minutes: float) -> None:
    """Pretend the story was created `minutes` ago (for fractional-TTL tests)."""
    with app.app_context():
        db.session.execute(
            update(Story)
            .where(Story.id == story_id)
            .values(created_at=utcnow() - timedelta(minutes=minutes))
        )
        db.session.commit()


@dataclass
class Cast:
    """An owner and one user of each kind the audience rules tell apart."""

    owner: Account
    contact: Account  # the owner added them as a contact
    marked: Account  # marked on the owner's stories, not a contact
    stranger: Account  # no relation
    blocked: Account  # contact and marked, then blocked by the owner
    blocker: Account  # contact and marked, then blocked the owner

    def __getitem__(self, role: str) -> Account:
        return getattr(self, role)

    def marked_ids(self) -> list[str]:
        return [str(self.marked.id), str(self.blocked.id), str(self.blocker.id)]


def apply_blocks(app, cast: Cast) -> None:
    """Blocks come after the stories: marks made before a block must not let anyone in."""
    block(app, cast.owner, cast.blocked)
    block(app, cast.blocker, cast.owner)
