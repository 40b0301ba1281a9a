"""Marshmallow building blocks used by every domain."""

from datetime import UTC

import marshmallow as ma
from flask_smorest.fields import Upload
from werkzeug.datastructures import FileStorage

from uzbekhub.common.media import media_url
from uzbekhub.common.smorest import is_form_request


class Schema(ma.Schema):
    class Meta:
        ordered = True


class UtcDateTime(ma.fields.DateTime):
    """ISO 8601 in UTC with a `Z`, as clients expect."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class MediaUrl(ma.fields.String):
    """A stored media path answered as an absolute URL, or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return media_url(value) if value else None


class File(Upload):
    """A multipart file part; anything else (a plain string) is refused."""

    default_error_messages = {"invalid": "Not a file."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


class Boolean(ma.fields.Boolean):
    """`true`/`false` in JSON; in a form, the words forms send ("true", "false", "1", "on"...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool) and not is_form_request():
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class StrippedString(ma.fields.String):
    """A string with surrounding white space removed before validation."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class MessageSchema(Schema):
    message = ma.fields.String(required=True)
