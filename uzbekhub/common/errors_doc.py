"""Schemas that document the error bodies of uzbekhub.errors in OpenAPI."""

import marshmallow as ma


class ValidationErrorSchema(ma.Schema):
    error = ma.fields.String(required=True)
    details = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()), required=True
    )


class AuthErrorSchema(ma.Schema):
    detail = ma.fields.String(required=True)


class ErrorSchema(ma.Schema):
    error = ma.fields.String(required=True)


class ThrottledSchema(ma.Schema):
    message = ma.fields.String(required=True)
    wait_seconds = ma.fields.Integer(required=True)


ERROR_RESPONSES = {
    "ValidationError": ValidationErrorSchema,
    "AuthError": AuthErrorSchema,
    "Error": ErrorSchema,
    "Throttled": ThrottledSchema,
}
