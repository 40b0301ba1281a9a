"""Users as the API shows them, read as columns instead of ORM entities (the hot reads).

Each shape is what its schema dumps for the same user; the hot endpoints' contract tests
hold them to it. The statements select these columns, never `password_hash`.
"""

from sqlalchemy import ColumnElement

from uzbekhub.accounts.models import Location, User, full_name_of
from uzbekhub.common.media import media_url_or_none

# UserBriefSchema: a post's owner, a message's sender.
BRIEF_COLUMNS = (
    User.id.label("user_id"),
    User.username.label("user_username"),
    User.first_name.label("user_first_name"),
    User.last_name.label("user_last_name"),
    User.profile_picture.label("user_picture"),
)

# The same, for an ORM load (`load_only`): the attributes UserBriefSchema reads of a `User`.
BRIEF_ATTRIBUTES = (User.id, User.username, User.first_name, User.last_name, User.profile_picture)


def brief_of(row) -> dict | None:
    """UserBriefSchema's dump of the row's BRIEF_COLUMNS; None without a user (outer joins)."""
    if row.user_id is None:
        return None
    return {
        "id": row.user_id,
        "username": row.user_username,
        "full_name": full_name_of(row.user_first_name, row.user_last_name, row.user_username),
        "profile_picture": media_url_or_none(row.user_picture),
    }


# What every shape of another user opens with (UserSchema, NearbyUserSchema).
FACE_COLUMNS = (
    User.id,
    User.first_name,
    User.last_name,
    User.username,
    User.bio,
    User.profile_picture,
)


def face_of(row) -> dict:
    """The opening fields of UserSchema's and NearbyUserSchema's dumps, from FACE_COLUMNS."""
    return {
        "id": row.id,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "username": row.username,
        "bio": row.bio,
        "profile_picture": media_url_or_none(row.profile_picture),
    }


def user_columns(shown_phone: ColumnElement) -> tuple[ColumnElement, ...]:
    """UserSchema's columns of `users`, `shown_phone` standing for the phone (null where the
    caller may not see it); PLACE_COLUMNS complete them."""
    return (
        *FACE_COLUMNS,
        shown_phone.label("phone"),
        User.is_private,
        User.is_active,
        User.is_staff,
        User.date_joined,
        User.last_login,
        User.last_online,
    )


# UserSchema's `location`: the statement outer-joins the user's `Location`.
PLACE_COLUMNS = (Location.id.label("location_id"), Location.country, Location.city)


def user_of(row) -> dict:
    """UserSchema's dump of a row of `user_columns` and PLACE_COLUMNS."""
    place = None
    if row.location_id is not None:
        place = {"country": row.country, "city": row.city}
    return {
        **face_of(row),
        "phone": row.phone,
        "is_private": row.is_private,
        "is_active": row.is_active,
        "is_staff": row.is_staff,
        "date_joined": row.date_joined,
        "last_login": row.last_login,
        "last_online": row.last_online,
        "location": place,
    }
