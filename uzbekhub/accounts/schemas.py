import marshmallow as ma

from uzbekhub.accounts.fields import (
    CodeField,
    CoordinateField,
    DistanceField,
    EmailField,
    PasswordField,
    PhoneField,
    UsernameField,
)
from uzbekhub.common.db import MAX_ID
from uzbekhub.common.schemas import (
    Boolean,
    File,
    MediaUrl,
    Schema,
    StrippedString,
    UtcDateTime,
)


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
    """The caller's own location, exact coordinates included (only ever shown to its owner)."""

    id = ma.fields.Integer(dump_only=True)
    owner = ma.fields.Integer(attribute="owner_id", dump_only=True)
    lat = CoordinateField(90, required=True)
    long = CoordinateField(180, required=True)
    country = ma.fields.String(dump_only=True, allow_none=True)
    city = ma.fields.String(dump_only=True, allow_none=True)
    county = ma.fields.String(dump_only=True, allow_none=True)
    neighbourhood = ma.fields.String(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    update_at = UtcDateTime(dump_only=True)


class LocationPatchSchema(LocationSchema):
    lat = CoordinateField(90)
    long = CoordinateField(180)


class PlaceSchema(Schema):
    """Where another user is: country and city only, never coordinates."""

    country = ma.fields.String(dump_only=True, allow_none=True)
    city = ma.fields.String(dump_only=True, allow_none=True)


class StatusSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    user = ma.fields.Integer(attribute="user_id", dump_only=True)
    content = StrippedString(required=True, validate=ma.validate.Length(min=1, max=55))
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class ProfileLocationSchema(LocationSchema):
    class Meta:
        exclude = ("owner",)


class ProfileStatusSchema(StatusSchema):
    class Meta:
        exclude = ("user",)


class ClearableFile(File):
    """An uploaded file; null (JSON) or an empty text part (multipart) means "remove it"."""

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        return super()._deserialize(value, attr, data, **kwargs)


class ProfileUpdateSchema(Schema):
    """Accounts 8: every field optional; `password` sets a new password and signs out everywhere."""

    first_name = StrippedString(validate=ma.validate.Length(max=150))
    last_name = StrippedString(validate=ma.validate.Length(max=150))
    username = UsernameField()
    bio = ma.fields.String(validate=ma.validate.Length(max=500))
    profile_picture = ClearableFile()
    phone = PhoneField()
    is_private = Boolean()
    password = PasswordField()


class UsernameQuerySchema(Schema):
    username = UsernameField(required=True)


class UsernameAvailabilitySchema(Schema):
    available = ma.fields.Boolean()


class ChangeEmailSchema(Schema):
    new_email = EmailField(required=True)
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=128))


class CurrentPasswordSchema(Schema):
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=128))


class CodeSchema(Schema):
    code = CodeField(required=True)


class UserSchema(Schema):
    """Another user as the caller sees them (Accounts 14, 15).

    `phone` is null unless the caller is the user, staff, or one of the user's
    contacts; `location` is country and city only.
    """

    id = ma.fields.Integer(dump_only=True)
    first_name = ma.fields.String(dump_only=True)
    last_name = ma.fields.String(dump_only=True)
    username = ma.fields.String(dump_only=True)
    bio = ma.fields.String(dump_only=True)
    profile_picture = MediaUrl(dump_only=True)
    phone = ma.fields.String(dump_only=True, allow_none=True)
    is_private = ma.fields.Boolean(dump_only=True)
    is_active = ma.fields.Boolean(dump_only=True)
    is_staff = ma.fields.Boolean(dump_only=True)
    date_joined = UtcDateTime(dump_only=True)
    last_login = UtcDateTime(dump_only=True, allow_none=True)
    last_online = UtcDateTime(dump_only=True, allow_none=True)
    location = ma.fields.Nested(PlaceSchema, dump_only=True, allow_none=True)


class AdminUserSchema(UserSchema):
    """A user as staff see them (Accounts 35, 36): the email too, still no coordinates."""

    email = ma.fields.String(dump_only=True)


class ProfileSchema(UserSchema):
    """The caller's own profile (Accounts 7): email, exact location and status too."""

    class Meta(UserSchema.Meta):
        fields = (
            "id", "first_name", "last_name", "email", "username", "bio", "profile_picture",
            "phone", "is_private", "is_active", "is_staff", "date_joined", "last_login",
            "last_online", "location", "status",
        )  # fmt: skip

    email = ma.fields.String(dump_only=True)
    location = ma.fields.Nested(ProfileLocationSchema, dump_only=True, allow_none=True)
    status = ma.fields.Nested(ProfileStatusSchema, dump_only=True, allow_none=True)


class PublicProfileSchema(UserSchema):
    """Accounts 16: what anyone may see of a public account."""

    class Meta(UserSchema.Meta):
        fields = (
            "id", "first_name", "last_name", "username", "bio", "profile_picture", "is_private",
            "date_joined",
        )  # fmt: skip


class NearbyUserSchema(UserSchema):
    """Accounts 20: a user near the caller, and how far, coarsely."""

    class Meta(UserSchema.Meta):
        fields = ("id", "first_name", "last_name", "username", "bio", "profile_picture", "distance")

    distance = ma.fields.Float(
        dump_only=True,
        metadata={"description": "km, whole, rounded up, between positions snapped to 0.01°"},
    )


class SearchPathSchema(Schema):
    key = StrippedString(required=True, validate=ma.validate.Length(min=1, max=100))


class NearbyPathSchema(Schema):
    distance = DistanceField(
        required=True, metadata={"type": "string", "description": "km, in (0, 100]"}
    )


# --- blocks and contacts (Accounts 21-24, 29-34) ---------------------------------------------

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
