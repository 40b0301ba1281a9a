"""Marshmallow building blocks used by every domain."""

from datetime import UTC
from functools import cached_property

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import missing
from werkzeug.datastructures import FileStorage

from uzbekhub.common.media import media_url
from uzbekhub.common.smorest import is_form_request


class Schema(ma.Schema):
    class Meta:
        ordered = True

    def _serialize(self, obj, *, many=False):
        """marshmallow's dump loop with each field's lookup worked out once per schema.

        Lists of hundreds of objects are the hot path of the API: this reads attributes
        directly instead of through marshmallow's four layers of accessors per value.
        Fields that customise how they read their value keep marshmallow's path.
        """
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        if hasattr(obj, "__getitem__"):  # mappings (and rows) keep marshmallow's lookup
            return super()._serialize(obj)
        ret = self.dict_class()
        for key, attr_name, source, field in self._dump_plan:
            if source is None:
                value = field.serialize(attr_name, obj, accessor=self.get_attribute)
                if value is not missing:
                    ret[key] = value
                continue
            value = getattr(obj, source, missing)
            if value is missing:
                default = field.dump_default
                value = default() if callable(default) else default
                if value is missing:
                    continue
            ret[key] = field._serialize(value, attr_name, obj)
        return ret

    @cached_property
    def _dump_plan(self) -> list[tuple[str, str, str | None, ma.fields.Field]]:
        """(output key, field name, attribute to read or None for marshmallow's path, field)."""
        plain = type(self).get_attribute is ma.Schema.get_attribute
        plan = []
        for attr_name, field in self.dump_fields.items():
            source = attr_name if field.attribute is None else field.attribute
            direct = (
                plain
                and field._CHECK_ATTRIBUTE
                and type(field).serialize is ma.fields.Field.serialize
                and type(field).get_value is ma.fields.Field.get_value
                and "." not in source
            )
            key = field.data_key if field.data_key is not None else attr_name
            plan.append((key, attr_name, source if direct else None, field))
        return plan


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
