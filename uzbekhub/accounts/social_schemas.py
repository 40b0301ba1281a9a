"""Blocks and contacts (Accounts 21-24, 29-34)."""

import marshmallow as ma

from uzbekhub.accounts.schemas import UserBriefSchema
from uzbekhub.common.db import MAX_ID
from uzbekhub.common.schemas import Schema, StrippedString, UtcDateTime

USER_ID = ma.validate.Range(min=1, max=MAX_ID)


class BlockSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    user = ma.fields.Integer(attribute="user_id", dump_only=True)
    blocked_user = ma.fields.Nested(UserBriefSchema, dump_only=True)
    created_at = UtcDateTime(dump_only=True)


class BlockCreateSchema(Schema):
    blocked_user = ma.fields.Integer(required=True, strict=True, validate=USER_ID)


class ContactSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    owner = ma.fields.Integer(attribute="owner_id", dump_only=True)
    contact = ma.fields.Integer(
        attribute="contact_id", required=True, strict=True, validate=USER_ID
    )
    nikname = StrippedString(validate=ma.validate.Length(max=100))
    created_at = UtcDateTime(dump_only=True)
    update_at = UtcDateTime(dump_only=True)


class ContactPatchSchema(ContactSchema):
    contact = ma.fields.Integer(attribute="contact_id", strict=True, validate=USER_ID)
