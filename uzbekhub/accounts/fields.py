"""Account fields and the rules they carry, each in one place."""

import re

import marshmallow as ma

PASSWORD_LENGTH = ma.validate.Length(min=8, max=128)
USERNAME_RE = re.compile(r"^(?=.{4,25}$)(?![._])(?!.*[._]{2})[A-Za-z0-9._]+(?<![._])$")
USERNAME_RULE = (
    "4-25 characters: letters, digits, '.' and '_', not at the start or end and never two in a row."
)


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
