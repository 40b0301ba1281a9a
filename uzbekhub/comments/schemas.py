import marshmallow as ma

from uzbekhub.comments.models import CONTENT_MAX
from uzbekhub.common.schemas import Schema, StrippedString, UtcDateTime


class PublicCommentSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    content = StrippedString(required=True, validate=ma.validate.Length(min=1, max=CONTENT_MAX))
    created_at = UtcDateTime(dump_only=True)
