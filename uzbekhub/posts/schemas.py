import marshmallow as ma

from uzbekhub.accounts.schemas import UserBriefSchema
from uzbekhub.common.db import MAX_ID
from uzbekhub.common.pagination import EnvelopeSchema, PageArgsSchema
from uzbekhub.common.schemas import File, MediaUrl, Schema, StrippedString, UtcDateTime
from uzbekhub.posts.models import COMMENT_MAX, CONTENT_MAX, IMAGES_MAX


def content_field() -> StrippedString:
    return StrippedString(
        validate=ma.validate.Length(
            max=CONTENT_MAX, error=f"Ensure this field has no more than {CONTENT_MAX} characters."
        )
    )


def comment_field() -> StrippedString:
    return StrippedString(
        required=True,
        validate=ma.validate.Length(
            min=1, max=COMMENT_MAX, error=f"A comment needs 1 to {COMMENT_MAX} characters."
        ),
    )


IMAGES_LENGTH = ma.validate.Length(
    max=IMAGES_MAX, error=f"A post may have at most {IMAGES_MAX} images."
)
NOTHING_TO_POST = "Write something or attach at least one image."


class PostImageSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    image = MediaUrl(dump_only=True)
    created_at = UtcDateTime(dump_only=True)


class PostSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    content = ma.fields.String(dump_only=True)
    owner = ma.fields.Nested(UserBriefSchema, dump_only=True)
    images = ma.fields.List(ma.fields.Nested(PostImageSchema), dump_only=True)
    is_active = ma.fields.Boolean(dump_only=True)
    is_edited = ma.fields.Boolean(dump_only=True)
    like_count = ma.fields.Integer(dump_only=True)
    comment_count = ma.fields.Integer(dump_only=True)
    view_count = ma.fields.Integer(dump_only=True)
    is_liked = ma.fields.Boolean(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True, allow_none=True)


class PostPageSchema(EnvelopeSchema):
    results = ma.fields.List(ma.fields.Nested(PostSchema))


class PostQueryArgsSchema(PageArgsSchema):
    owner = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Only this user's posts"},
    )


class PostCreateSchema(Schema):
    content = content_field()
    images = ma.fields.List(File(), load_default=list, validate=IMAGES_LENGTH)

    @ma.validates_schema
    def has_something(self, data, **kwargs):
        if not data.get("content") and not data.get("images"):
            raise ma.ValidationError(NOTHING_TO_POST, "content")


class PostUpdateSchema(Schema):
    content = content_field()
    images = ma.fields.List(
        File(), validate=IMAGES_LENGTH, metadata={"description": "Images to add"}
    )
    remove_images = ma.fields.List(
        ma.fields.UUID(), metadata={"description": "Ids of this post's images to remove"}
    )

    @ma.validates_schema
    def changes_something(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Send content, images or remove_images.")


class PostRefSchema(Schema):
    post = ma.fields.UUID(required=True)


class LikeSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    owner = ma.fields.Nested(UserBriefSchema, dump_only=True)
    post = ma.fields.UUID(attribute="post_id", dump_only=True)
    created_at = UtcDateTime(dump_only=True)


ViewSchema = LikeSchema


class CommentSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    owner = ma.fields.Nested(UserBriefSchema, dump_only=True)
    post = ma.fields.UUID(attribute="post_id", dump_only=True)
    comment = ma.fields.String(dump_only=True)
    reply_to = ma.fields.UUID(attribute="reply_to_id", dump_only=True, allow_none=True)
    is_edited = ma.fields.Boolean(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True, allow_none=True)


class CommentCreateSchema(Schema):
    post = ma.fields.UUID(required=True)
    comment = comment_field()
    reply_to = ma.fields.UUID(allow_none=True, load_default=None)


class CommentUpdateSchema(Schema):
    comment = comment_field()
