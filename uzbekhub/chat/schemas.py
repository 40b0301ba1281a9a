import marshmallow as ma

from uzbekhub.accounts.fields import USERNAME_RE, USERNAME_RULE
from uzbekhub.accounts.schemas import UserBriefSchema
from uzbekhub.chat.models import FILE_TYPES, PRIVATE, ROOM_TYPES
from uzbekhub.common.db import MAX_ID
from uzbekhub.common.pagination import EnvelopeSchema
from uzbekhub.common.schemas import File, MediaUrl, Schema, StrippedString, UtcDateTime

# Ids are 32-bit integers on every backend; larger numbers cannot name anything.
MAX_MEMBERS_AT_CREATION = 200


def id_field(**kwargs) -> ma.fields.Integer:
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


def blank_to_none(value):
    """Forms send empty fields as empty strings: they mean "no value"."""
    if value == "" or (isinstance(value, str) and not value.strip()):
        return None
    return value


class OptionalText(StrippedString):
    def __init__(self, **kwargs):
        super().__init__(allow_none=True, pre_load=blank_to_none, **kwargs)


class OptionalUsername(OptionalText):
    def __init__(self, **kwargs):
        super().__init__(validate=ma.validate.Regexp(USERNAME_RE, error=USERNAME_RULE), **kwargs)


class OptionalPicture(File):
    """A picture file part; null (JSON) or an empty part (forms) means none."""

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, pre_load=blank_to_none, **kwargs)


# --- output -------------------------------------------------------------------------------------


class ChatFileSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    unique_id = ma.fields.String(dump_only=True)
    file = MediaUrl(dump_only=True)
    file_type = ma.fields.String(dump_only=True)
    file_size = ma.fields.Integer(dump_only=True)
    is_temporary = ma.fields.Boolean(dump_only=True)
    uploaded_at = UtcDateTime(dump_only=True)


class ChatMessageSchema(Schema):
    """A message as history shows it and as `chat_message` frames carry it."""

    id = ma.fields.UUID(dump_only=True)
    room = ma.fields.UUID(attribute="room_id", dump_only=True)
    sender = ma.fields.Nested(UserBriefSchema, dump_only=True, allow_none=True)
    text = ma.fields.String(dump_only=True)
    reply_to = ma.fields.UUID(attribute="reply_to_id", dump_only=True, allow_none=True)
    attachments = ma.fields.List(ma.fields.Nested(ChatFileSchema), dump_only=True)
    is_edited = ma.fields.Boolean(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    update_at = UtcDateTime(dump_only=True)


class MessagePageSchema(EnvelopeSchema):
    results = ma.fields.List(ma.fields.Nested(ChatMessageSchema))


class RoomSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    room_type = ma.fields.String(dump_only=True)
    name = ma.fields.String(dump_only=True, allow_none=True)
    username = ma.fields.String(dump_only=True, allow_none=True)
    description = ma.fields.String(dump_only=True, allow_none=True)
    profile_pic = MediaUrl(dump_only=True)
    members = ma.fields.List(
        ma.fields.Nested(UserBriefSchema), attribute="member_users", dump_only=True
    )
    created_at = UtcDateTime(dump_only=True)
    last_message = ma.fields.Nested(ChatMessageSchema, dump_only=True, allow_none=True)
    unread_count = ma.fields.Integer(dump_only=True)


class RoomMemberSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    room = ma.fields.UUID(attribute="room_id", dump_only=True)
    user = ma.fields.Nested(UserBriefSchema, dump_only=True)
    role = ma.fields.String(dump_only=True)
    joined_at = UtcDateTime(dump_only=True)


# --- input --------------------------------------------------------------------------------------


class RoomCreateSchema(Schema):
    room_type = ma.fields.String(required=True, validate=ma.validate.OneOf(ROOM_TYPES))
    name = OptionalText(validate=ma.validate.Length(max=100))
    username = OptionalUsername()
    description = OptionalText(validate=ma.validate.Length(max=500))
    profile_pic = OptionalPicture()
    members = ma.fields.List(
        id_field(),
        load_default=list,
        validate=ma.validate.Length(max=MAX_MEMBERS_AT_CREATION),
    )

    @ma.validates_schema
    def fields_fit_the_room_type(self, data, **kwargs):
        if data.get("room_type") == PRIVATE:
            errors = {
                field: ["Must be empty for a private room."]
                for field in ("name", "username", "description", "profile_pic")
                if data.get(field) is not None
            }
            if errors:
                raise ma.ValidationError(errors)
        elif data.get("room_type") is not None and not data.get("name"):
            raise ma.ValidationError("A group needs a name.", "name")


class RoomUpdateSchema(Schema):
    name = StrippedString(validate=ma.validate.Length(min=1, max=100))
    username = OptionalUsername()
    description = OptionalText(validate=ma.validate.Length(max=500))
    profile_pic = OptionalPicture()
    # Accepted for clients that send the whole room back, and ignored: membership
    # changes only through the member endpoints.
    members = ma.fields.Raw(load_only=True)

    @ma.post_load
    def drop_members(self, data, **kwargs):
        data.pop("members", None)
        return data


class MemberTargetSchema(Schema):
    user_id = id_field(required=True)


class FileUploadSchema(Schema):
    file = File(required=True)
    file_type = ma.fields.String(required=True, validate=ma.validate.OneOf(FILE_TYPES))
