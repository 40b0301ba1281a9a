"""Account fields and the rules they carry, each in one place."""

import math
import re

import marshmallow as ma

PASSWORD_LENGTH = ma.validate.Length(min=8, max=128)
USERNAME_RE = re.compile(r"^(?=.{4,25}$)(?![._])(?!.*[._]{2})[A-Za-z0-9._]+(?<![._])$")
USERNAME_RULE = (
    "4-25 characters: letters, digits, '.' and '_', not at the start or end and never two in a row."
)
USERNAME_TAKEN = "A user with that username already exists."
PHONE_RE = re.compile(r"^\+?[0-9]{7,15}$")
PHONE_SEPARATORS = re.compile(r"[\s\-().]")
COORDINATE_DECIMALS = 6  # about 0.1 m
MAX_NEARBY_KM = 100
DISTANCE_RE = re.compile(r"^(?:\d{1,10}(?:\.\d{0,10})?|\.\d{1,10})$")
DISTANCE_RULE = f"Enter a distance in kilometres, greater than 0 and at most {MAX_NEARBY_KM}."


def normalise_email(value: str) -> str:
    return value.strip().lower()


class EmailField(ma.fields.Email):
    """Emails compare case-insensitively and arrive with stray spaces."""

    def __init__(self, **kwargs):
        super().__init__(validate=ma.validate.Length(max=254), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return normalise_email(super()._deserialize(value, attr, data, **kwargs))


class PasswordField(ma.fields.String):
    def __init__(self, **kwargs):
        super().__init__(validate=PASSWORD_LENGTH, load_only=True, **kwargs)


class UsernameField(ma.fields.String):
    def __init__(self, **kwargs):
        super().__init__(validate=ma.validate.Regexp(USERNAME_RE, error=USERNAME_RULE), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class CodeField(ma.fields.String):
    """A 5-digit code; anything else cannot match, so it is refused early."""

    def __init__(self, **kwargs):
        super().__init__(
            validate=ma.validate.Regexp(r"^\d{5}$", error="Enter the 5-digit code."), **kwargs
        )

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class PhoneField(ma.fields.String):
    """A phone number: an optional `+` and 7-15 digits; spaces, dashes, dots, brackets dropped.

    An empty value clears the number (stored as null).
    """

    default_error_messages = {
        "phone": "Enter a phone number of 7-15 digits, optionally starting with '+'."
    }

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = PHONE_SEPARATORS.sub("", super()._deserialize(value, attr, data, **kwargs))
        if not raw:
            return None
        if not PHONE_RE.match(raw):
            raise self.make_error("phone")
        return raw


class CoordinateField(ma.fields.Field):
    """Latitude or longitude: accepted as a number or a numeric string, answered as a string."""

    default_error_messages = {
        "invalid": "A valid number is required.",
        "range": "Ensure this value is between {low:g} and {high:g}.",
    }

    def __init__(self, limit: float, **kwargs):
        self.limit = limit
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.make_error("invalid")
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (ValueError, OverflowError):
            raise self.make_error("invalid") from None
        if not math.isfinite(number):
            raise self.make_error("invalid")
        if abs(number) > self.limit:
            raise self.make_error("range", low=-self.limit, high=self.limit)
        return round(number, COORDINATE_DECIMALS)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        text = f"{value:.{COORDINATE_DECIMALS}f}".rstrip("0")
        return text + "0" if text.endswith(".") else text


class DistanceField(ma.fields.Field):
    """The nearby radius in km: digits with an optional decimal point, in (0, 100]."""

    default_error_messages = {"invalid": DISTANCE_RULE}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not DISTANCE_RE.match(value):
            raise self.make_error("invalid")
        km = float(value)
        if not 0 < km <= MAX_NEARBY_KM:
            raise self.make_error("invalid")
        return km
