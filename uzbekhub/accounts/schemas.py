import marshmallow as ma

from uzbekhub.accounts.fields import CodeField, EmailField, PasswordField
from uzbekhub.common.schemas import MediaUrl, Schema, UtcDateTime


class UserBriefSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    username = ma.fields.String(dump_only=True)
    full_name = ma.fields.String(dump_only=True)
    profile_picture = MediaUrl(dump_only=True)


class PasswordPairSchema(Schema):
    @ma.validates_schema
    def passwords_match(self, data, **kwargs):
        password = data.get("password", data.get("new_password"))
        if password is not None and data.get("confirm_password") != password:
            raise ma.ValidationError("Passwords do not match.", "confirm_password")


class SignupSchema(PasswordPairSchema):
    email = EmailField(required=True)
    password = PasswordField(required=True)
    confirm_password = ma.fields.String(required=True, load_only=True)


class SignupResultSchema(Schema):
    status = ma.fields.Boolean()
    user = ma.fields.String()


class EmailVerifySchema(Schema):
    code = CodeField(required=True)
    email = EmailField()


class SigninSchema(Schema):
    email = EmailField(required=True)
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=128))


class TokenPairSchema(Schema):
    access = ma.fields.String()
    refresh = ma.fields.String()


class SigninResultSchema(Schema):
    status = ma.fields.Boolean()
    email = ma.fields.String()
    token = ma.fields.Nested(TokenPairSchema)


class GoogleSigninSchema(Schema):
    token = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=8192))


class ForgotPasswordSchema(Schema):
    email = EmailField(required=True)


class ResetPasswordSchema(PasswordPairSchema):
    new_password = PasswordField(required=True)
    confirm_password = ma.fields.String(required=True, load_only=True)


class RefreshSchema(Schema):
    refresh = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4096))


class LocationSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    owner = ma.fields.Integer(attribute="owner_id", dump_only=True)
    lat = ma.fields.Float(dump_only=True)
    long = ma.fields.Float(dump_only=True)
    country = ma.fields.String(dump_only=True)
    city = ma.fields.String(dump_only=True)
    county = ma.fields.String(dump_only=True)
    neighbourhood = ma.fields.String(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    update_at = UtcDateTime(dump_only=True)


class StatusSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    user = ma.fields.Integer(attribute="user_id", dump_only=True)
    content = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=55))
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class ProfileSchema(Schema):
    """The caller's own profile (Accounts 7)."""

    id = ma.fields.Integer(dump_only=True)
    first_name = ma.fields.String(dump_only=True)
    last_name = ma.fields.String(dump_only=True)
    email = ma.fields.String(dump_only=True)
    username = ma.fields.String(dump_only=True)
    bio = ma.fields.String(dump_only=True)
    profile_picture = MediaUrl(dump_only=True)
    phone = ma.fields.String(dump_only=True)
    is_private = ma.fields.Boolean(dump_only=True)
    is_active = ma.fields.Boolean(dump_only=True)
    is_staff = ma.fields.Boolean(dump_only=True)
    date_joined = UtcDateTime(dump_only=True)
    last_login = UtcDateTime(dump_only=True)
    last_online = UtcDateTime(dump_only=True)
    location = ma.fields.Nested(LocationSchema(exclude=("owner",)), dump_only=True)
    status = ma.fields.Nested(StatusSchema(exclude=("user",)), dump_only=True)
