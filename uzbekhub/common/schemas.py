"""Marshmallow building blocks used by every domain."""

from collections.abc import Mapping
from datetime import UTC
from functools import cached_property

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import missing
from werkzeug.datastructures import FileStorage

from uzbekhub.common.media import media_url_or_none
from uzbekhub.common.smorest import is_form_request

NULL_CHARACTERS = "Null characters are not allowed."


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

    @ma.pre_load
    def _refuse_null_characters(self, data, **kwargs):
        """PostgreSQL text cannot hold U+0000 (its driver raises: a 500) and SQLite would
        store it: no field, in a body, a form or a query, may carry one."""
        if isinstance(data, Mapping):
            names = {field.data_key or name for name, field in self.load_fields.items()}
            bad = [name for name in names if name in data and _has_null(data[name])]
            if bad:
                raise ma.ValidationError({name: [NULL_CHARACTERS] for name in bad})
        return data


def _has_null(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_null(item) for item in value)
    if isinstance(value, Mapping):
        return any(_has_null(key) or _has_null(item) for key, item in value.items())
    return False


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
        return media_url_or_none(value)


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
