import base64
import re

import marshmallow as ma
from cryptography.hazmat.primitives.asymmetric import ec

from uzbekhub.accounts.schemas import UserBriefSchema
from uzbekhub.common.db import MAX_ID
from uzbekhub.common.media import media_url
from uzbekhub.common.pagination import EnvelopeSchema, PageArgsSchema
from uzbekhub.common.schemas import Boolean, Schema, UtcDateTime
from uzbekhub.notifications.models import TYPES

EXCERPT = 80
BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
AUTH_SECRET_BYTES = 16


def _excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


class TargetField(ma.fields.Field):
    """What the notification is about, small: `{"kind": "post", "id", "text"}`,
    `{"kind": "comment", "id", "post", "text"}`, `{"kind": "story", "id", "media"}`,
    `{"kind": "room", "id", "name"}`, or null (a notification about the recipient)."""

    def _serialize(self, value, attr, notification, **kwargs):
        if notification.comment is not None:
            comment = notification.comment
            return {
                "kind": "comment",
                "id": str(comment.id),
                "post": str(comment.post_id),
                "text": _excerpt(comment.comment),
            }
        if notification.post is not None:
            post = notification.post
            return {"kind": "post", "id": str(post.id), "text": _excerpt(post.content)}
        if notification.story is not None:
            story = notification.story
            return {"kind": "story", "id": story.id, "media": media_url(story.media)}
        if notification.room is not None:
            room = notification.room
            return {"kind": "room", "id": str(room.id), "name": room.name}
        return None


class NotificationSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    type = ma.fields.String(dump_only=True, metadata={"enum": list(TYPES)})
    actors = ma.fields.List(
        ma.fields.Nested(UserBriefSchema),
        dump_only=True,
        metadata={"description": "The three latest actors the caller may see, newest first"},
    )
    actor_count = ma.fields.Integer(
        attribute="visible_actor_count",
        dump_only=True,
        metadata={
            "description": "How many actors the caller may see; one who went private, was "
            "deactivated or is blocked is neither counted nor among `actors`"
        },
    )
    target = TargetField(
        dump_only=True,
        attribute="id",
        allow_none=True,
        metadata={
            "type": "object",
            "description": "post {kind, id, text}, comment {kind, id, post, text}, "
            "story {kind, id, media}, room {kind, id, name}, or null",
        },
    )
    is_read = ma.fields.Boolean(dump_only=True)
    created_at = UtcDateTime(
        attribute="shown_at",
        dump_only=True,
        metadata={
            "description": "When the latest actor the caller may see acted (earlier again "
            "once that actor is taken out or hidden); the list is newest first by it"
        },
    )


class NotificationPageSchema(EnvelopeSchema):
    results = ma.fields.List(ma.fields.Nested(NotificationSchema))


class TypeList(ma.fields.String):
    """`?types=post_liked,mentioned`: a comma-separated list of notification types."""

    def _deserialize(self, value, attr, data, **kwargs):
        names = [
            name.strip() for name in super()._deserialize(value, attr, data, **kwargs).split(",")
        ]
        names = [name for name in names if name]
        unknown = [name for name in names if name not in TYPES]
        if unknown:
            raise ma.ValidationError(
                f"Unknown type: {', '.join(unknown)}. Known: {', '.join(TYPES)}."
            )
        return names


class NotificationQueryArgsSchema(PageArgsSchema):
    unread = ma.fields.Boolean(load_default=False)
    types = TypeList(load_default=None)


class UnreadCountSchema(Schema):
    unread_count = ma.fields.Integer(dump_only=True)


class MarkReadSchema(Schema):
    ids = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID)),
        validate=ma.validate.Length(min=1, max=500),
    )
    all = Boolean()

    @ma.validates_schema
    def one_of(self, data, **kwargs):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ma.ValidationError('Send either "ids" or "all": true.')


NotificationSettingsSchema = Schema.from_dict(
    {kind: Boolean() for kind in TYPES}, name="NotificationSettingsSchema"
)


class PushKeySchema(Schema):
    public_key = ma.fields.String(dump_only=True)


def _base64url(text: str) -> bytes:
    bare = text.rstrip("=")
    if not BASE64URL.fullmatch(text) or len(bare) % 4 == 1:
        raise ma.ValidationError("Not base64url.")
    return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))


def _p256_point(text: str) -> None:
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _base64url(text))
    except (ValueError, ma.ValidationError):
        raise ma.ValidationError("Not a P-256 public key (base64url, uncompressed).") from None


def _auth_secret(text: str) -> None:
    if len(_base64url(text)) != AUTH_SECRET_BYTES:
        raise ma.ValidationError(f"Not a {AUTH_SECRET_BYTES}-byte secret (base64url).")


class PushKeysSchema(Schema):
    p256dh = ma.fields.String(required=True, validate=[ma.validate.Length(max=100), _p256_point])
    auth = ma.fields.String(required=True, validate=[ma.validate.Length(max=50), _auth_secret])


class PushSubscriptionSchema(Schema):
    """The browser's PushSubscription, as `JSON.stringify(subscription)` gives it."""

    id = ma.fields.Integer(dump_only=True)
    endpoint = ma.fields.URL(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=ma.validate.Length(max=2048),
    )
    keys = ma.fields.Nested(PushKeysSchema, required=True, load_only=True)
    expirationTime = ma.fields.Float(allow_none=True, load_only=True)  # noqa: N815
    created_at = UtcDateTime(dump_only=True)


class PushUnsubscribeSchema(Schema):
    """The subscription to forget: the browser's PushSubscription JSON, or its endpoint."""

    endpoint = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2048))
    keys = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), load_only=True)
    expirationTime = ma.fields.Float(allow_none=True, load_only=True)  # noqa: N815
