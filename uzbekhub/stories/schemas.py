import marshmallow as ma

from uzbekhub.accounts.schemas import UserBriefSchema
from uzbekhub.common.db import MAX_ID
from uzbekhub.common.schemas import File, MediaUrl, Schema, StrippedString, UtcDateTime
from uzbekhub.stories.models import AUDIENCES

CAPTION_LENGTH = ma.validate.Length(max=2200)
REACTION_LENGTH = ma.validate.Length(min=1, max=32)


class IdList(ma.fields.List):
    """User ids: an array in JSON, repeated parts in multipart (`marked=2&marked=3`).

    A multipart body cannot repeat a field zero times, so a lone empty part
    (`marked=`) stands for the empty list.
    """

    def __init__(self, **kwargs):
        super().__init__(
            ma.fields.Integer(strict=False, validate=ma.validate.Range(min=1, max=MAX_ID)),
            validate=ma.validate.Length(max=100),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list | tuple):
            value = [item for item in value if item != ""]
        return super()._deserialize(value, attr, data, **kwargs)


def audience_field(**kwargs) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.OneOf(AUDIENCES), **kwargs)


class StorySchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    owner = ma.fields.Nested(UserBriefSchema, dump_only=True)
    media = MediaUrl(dump_only=True)
    caption = ma.fields.String(dump_only=True)
    marked = ma.fields.List(ma.fields.Integer(), dump_only=True)
    is_active = ma.fields.Boolean(dump_only=True)
    audience = ma.fields.String(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class StoryCreateSchema(Schema):
    media = File(required=True, metadata={"description": "An image or an mp4/webm/mov video"})
    caption = StrippedString(load_default="", validate=CAPTION_LENGTH)
    audience = audience_field(load_default="public")
    marked = IdList(load_default=list)


class StoryUpdateSchema(Schema):
    caption = StrippedString(validate=CAPTION_LENGTH)
    audience = audience_field()
    marked = IdList()


class ReactionSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    story = ma.fields.Integer(
        attribute="story_id", required=True, validate=ma.validate.Range(min=1, max=MAX_ID)
    )
    user = ma.fields.Integer(attribute="user_id", dump_only=True)
    reaction = StrippedString(required=True, validate=REACTION_LENGTH)
    reacted_at = UtcDateTime(dump_only=True)


class ReactionUpdateSchema(Schema):
    reaction = StrippedString(required=True, validate=REACTION_LENGTH)


class StoryViewRequestSchema(Schema):
    story = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=MAX_ID))
    viewer = ma.fields.Raw(
        load_only=True, metadata={"description": "Ignored: the viewer is always the caller."}
    )


class StoryViewSchema(Schema):
    id = ma.fields.Integer()
    story = ma.fields.Integer(attribute="story_id")
    viewer = ma.fields.Integer(attribute="viewer_id")
    viewed_at = UtcDateTime()


class ViewerSchema(Schema):
    viewer = ma.fields.Nested(UserBriefSchema)
    viewed_at = UtcDateTime()
    reaction = ma.fields.String(allow_none=True)
