"""Examples and headers in the OpenAPI document, added as it is built (an apispec plugin).

Every request and response body gets the example of its schema (the API document's own where
it has one): a request leaves out the read-only fields, a response the write-only ones. List
answers document `X-Total-Count` and `Link`, throttled ones `Retry-After`. `DESCRIPTION` is the
document's `info.description`.
"""

import http
from copy import deepcopy

from apispec import BasePlugin

DESCRIPTION = """\
The REST part of the UzbekHub backend. The full reference for clients is `docs/` in the
repository: the error format, pagination, throttling, the token lifecycle and the real-time
protocol (plain WebSocket at `/ws/chat/` and `/ws/chat/{room_id}/`, Socket.IO namespace `/chat`).

**Tokens and sessions.** Signing in (password or Google) starts a session and answers an access
token (15 minutes by default), sent as `Authorization: Bearer <access>` (the **Authorize** button
here), and a refresh token (7 days), sent only to the refresh and logout operations.

- Refresh answers a new pair in the same session and revokes the refresh token it was given;
  access tokens issued before stay valid until they expire.
- A refresh token is used once. Sent again within a few seconds of its rotation (a retry, two
  tabs at once) it is a 401 and nothing else happens; sent again later it is taken for a
  stolen copy and the whole session ends (all its tokens and sockets).
- Logout ends its session. A password change or reset and account deletion end every session.
- A 401 is `{"detail": sentence}`, one sentence per cause:
  "Authentication credentials were not provided." (no token),
  "Token is invalid." (not ours, the wrong kind, malformed claims),
  "Token has expired.",
  "Token has been revoked." (logged out, session ended, refresh token already used,
  password changed, account deleted).

**Errors** always have one of four shapes: 400 `{"error": "Invalid request data", "details":
{"field": ["sentence"]}}` (rules across fields under `non_field_errors`); 401 and 403
`{"detail": "sentence"}`; 429 `{"message": "Request was throttled", "wait_seconds": N}` with a
`Retry-After` header; everything else `{"error": "sentence"}` (404 `Resource not found`, also
for objects the caller may not see; 503 when the database, Redis or the media storage is away).

**Pagination.** The post feed is pages (`?page=`, `?page_size=` up to 100) in
`{"count", "next", "previous", "results"}`; chat history is `?limit=` (up to 100) and `?offset=`
in the same envelope. Every other list is a JSON array bounded by `?limit=` (default 100, at
most 500) and `?offset=`, with `X-Total-Count` and, when another page exists, an RFC 8288
`Link` header (`rel="next"`, `rel="prev"`).

**Throttling.** Sign-up, sign-in, codes, password reset, searches and public comments are
throttled per client (and sign-in per account too): 429 with `wait_seconds` and `Retry-After`.
"""

USER = {
    "id": 1,
    "username": "johndoe",
    "full_name": "John Doe",
    "profile_picture": "http://example.com/media/profile_pictures/image.jpg",
}
MEMBER = {
    "id": 2,
    "username": "janedoe",
    "full_name": "Jane Doe",
    "profile_picture": None,
}
ACCESS = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwidHlwZSI6ImFjY2VzcyJ9.c2lnbmF0dXJl"
REFRESH = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwidHlwZSI6InJlZnJlc2gifQ.c2lnbmF0dXJl"
WHEN = "2024-02-04T10:00:00.123456Z"
LATER = "2024-02-04T10:05:00.654321Z"
POST_ID = "3f2b8c1e-5d4a-4b6f-9e21-7a8c9d0e1f23"
ROOM_ID = "8d6e2f4a-1b3c-4d5e-8f70-9a1b2c3d4e5f"
MESSAGE_ID = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"
PLACE = {
    "id": 1,
    "lat": "39.654722",
    "long": "66.975833",
    "country": "Uzbekistan",
    "city": "Samarkand",
    "county": "Samarkand",
    "neighbourhood": "Registan",
    "created_at": WHEN,
    "update_at": WHEN,
}
PROFILE_FIELDS = {
    "id": 1,
    "first_name": "John",
    "last_name": "Doe",
    "username": "johndoe",
    "bio": "Software developer",
    "profile_picture": "http://example.com/media/profile_pictures/image.jpg",
    "is_private": False,
    "date_joined": WHEN,
}
ACCOUNT_FIELDS = {
    **PROFILE_FIELDS,
    "phone": "+998901234567",
    "is_active": True,
    "is_staff": False,
    "last_login": WHEN,
    "last_online": LATER,
}
POST_IMAGE = {
    "id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
    "image": "http://example.com/media/posts/images/image1.jpg",
    "created_at": WHEN,
}
POST = {
    "id": POST_ID,
    "content": "This is my first post!",
    "owner": USER,
    "images": [POST_IMAGE],
    "is_active": True,
    "is_edited": False,
    "like_count": 15,
    "comment_count": 3,
    "view_count": 50,
    "is_liked": False,
    "created_at": WHEN,
    "updated_at": None,
}
CHAT_FILE = {
    "id": 1,
    "unique_id": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "file": "http://example.com/media/chat_files/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg",
    "file_type": "image",
    "file_size": 102400,
    "is_temporary": False,
    "uploaded_at": WHEN,
}
CHAT_MESSAGE = {
    "id": MESSAGE_ID,
    "room": ROOM_ID,
    "sender": USER,
    "text": "Hello!",
    "reply_to": None,
    "attachments": [CHAT_FILE],
    "is_edited": False,
    "created_at": WHEN,
    "update_at": WHEN,
}

NOTIFICATION = {
    "id": 7,
    "type": "post_liked",
    "actors": [MEMBER, USER],
    "actor_count": 4,
    "target": {"kind": "post", "id": POST_ID, "text": "Sunset over the Registan"},
    "is_read": False,
    "created_at": WHEN,
}
VAPID_PUBLIC_KEY = (
    "BNbxGYNMhEIi9zrneh7mqV4oUanjLUK3m-mYZBc62frMKrEzcEJpuNbbBqMC6zCzXzO8rTQV9CZCtqDDWg7nC2M"
)
PUSH_SUBSCRIPTION = {
    "endpoint": "https://fcm.googleapis.com/fcm/send/dXJlYWw6c3Vic2NyaXB0aW9u",
    "expirationTime": None,
    "keys": {
        "p256dh": (
            "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
        ),
        "auth": "tBHItJI5svbpez7KI4CCXg",
    },
}

# One example per component schema (the API document's own values where it has them).
EXAMPLES = {
    "ValidationError": {
        "error": "Invalid request data",
        "details": {"email": ["Enter a valid email address."]},
    },
    "AuthError": {"detail": "Authentication credentials were not provided."},
    "Throttled": {"message": "Request was throttled", "wait_seconds": 60},
    "Error": {"error": "Resource not found"},
    "Signup": {
        "email": "user@example.com",
        "password": "securePassword123",
        "confirm_password": "securePassword123",
    },
    "SignupResult": {"status": True, "user": "user@example.com"},
    "EmailVerify": {"code": "12345", "email": "user@example.com"},
    "Message": {"message": "User is successfully activated"},
    "Signin": {"email": "user@example.com", "password": "securePassword123"},
    "TokenPair": {"access": ACCESS, "refresh": REFRESH},
    "SigninResult": {
        "status": True,
        "email": "user@example.com",
        "token": {"access": ACCESS, "refresh": REFRESH},
    },
    "GoogleSignin": {"token": "eyJhbGciOiJSUzI1NiIsImtpZCI6Imdvb2dsZSJ9.eyJlbWFpbCI6InUifQ.c2ln"},
    "ForgotPassword": {"email": "user@example.com"},
    "ResetPassword": {
        "new_password": "newSecurePassword123",
        "confirm_password": "newSecurePassword123",
    },
    "Refresh": {"refresh": REFRESH},
    "ProfileLocation": PLACE,
    "ProfileStatus": {"id": 1, "content": "Available", "created_at": WHEN, "updated_at": WHEN},
    "Profile": {
        **ACCOUNT_FIELDS,
        "email": "user@example.com",
        "location": PLACE,
        "status": {"id": 1, "content": "Available", "created_at": WHEN, "updated_at": WHEN},
    },
    "ProfileUpdate": {
        "first_name": "John",
        "last_name": "Doe",
        "username": "johndoe",
        "bio": "Software developer",
        "phone": "+998901234567",
        "is_private": False,
    },
    "UsernameAvailability": {"available": True},
    "ChangeEmail": {"new_email": "newemail@example.com", "password": "securePassword123"},
    "Code": {"code": "12345"},
    "CurrentPassword": {"password": "securePassword123"},
    "Status": {"id": 1, "user": 1, "content": "Available", "created_at": WHEN, "updated_at": WHEN},
    "Place": {"country": "Uzbekistan", "city": "Samarkand"},
    "User": {**ACCOUNT_FIELDS, "location": {"country": "Uzbekistan", "city": "Samarkand"}},
    "PublicProfile": PROFILE_FIELDS,
    "Location": {**PLACE, "owner": 1},
    "LocationPatch": {**PLACE, "owner": 1},
    "NearbyUser": {
        **{k: PROFILE_FIELDS[k] for k in ("id", "first_name", "last_name", "username", "bio")},
        "profile_picture": PROFILE_FIELDS["profile_picture"],
        "distance": 1.5,
    },
    "UserBrief": USER,
    "Block": {"id": 1, "user": 1, "blocked_user": MEMBER, "created_at": WHEN},
    "BlockCreate": {"blocked_user": 2},
    "Contact": {
        "id": 1,
        "owner": 1,
        "contact": 2,
        "nikname": "Best Friend",
        "created_at": WHEN,
        "update_at": WHEN,
    },
    "ContactPatch": {
        "id": 1,
        "owner": 1,
        "contact": 2,
        "nikname": "Old Friend",
        "created_at": WHEN,
        "update_at": LATER,
    },
    "AdminUser": {
        **ACCOUNT_FIELDS,
        "email": "user@example.com",
        "location": {"country": "Uzbekistan", "city": "Samarkand"},
    },
    "PostImage": POST_IMAGE,
    "Post": POST,
    "PostPage": {
        "count": 100,
        "next": "http://example.com/api/posts/post/?page=2",
        "previous": None,
        "results": [POST],
    },
    "PostCreate": {
        "content": "This is my new post!",
        "images": ["<image file 1>", "<image file 2>"],
    },
    "PostUpdate": {
        "content": "Updated post content",
        "images": ["<new image file>"],
        "remove_images": [POST_IMAGE["id"]],
    },
    "PostRef": {"post": POST_ID},
    "Like": {
        "id": "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f",
        "owner": USER,
        "post": POST_ID,
        "created_at": WHEN,
    },
    "CommentCreate": {"post": POST_ID, "comment": "Great post!", "reply_to": None},
    "Comment": {
        "id": "d5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80",
        "owner": USER,
        "post": POST_ID,
        "comment": "Great post!",
        "reply_to": None,
        "is_edited": False,
        "created_at": WHEN,
        "updated_at": None,
    },
    "CommentUpdate": {"comment": "Updated comment"},
    "Story": {
        "id": 1,
        "owner": USER,
        "media": "http://example.com/media/stories/story1.jpg",
        "caption": "My story",
        "marked": [],
        "is_active": True,
        "audience": "public",
        "created_at": WHEN,
        "updated_at": WHEN,
    },
    "StoryCreate": {
        "media": "<image or video file>",
        "caption": "My story",
        "audience": "marked",
        "marked": [2, 3],
    },
    "StoryUpdate": {"caption": "Updated caption", "audience": "contact", "marked": []},
    "Viewer": {"viewer": MEMBER, "viewed_at": WHEN, "reaction": "❤️"},
    "Reaction": {"id": 1, "story": 1, "user": 2, "reaction": "❤️", "reacted_at": WHEN},
    "ReactionUpdate": {"reaction": "😂"},
    "StoryViewRequest": {"story": 1},
    "StoryView": {"id": 1, "story": 1, "viewer": 2, "viewed_at": WHEN},
    "PublicComment": {"id": 1, "content": "Great app!", "created_at": WHEN},
    "ChatFile": CHAT_FILE,
    "ChatMessage": CHAT_MESSAGE,
    "Room": {
        "id": ROOM_ID,
        "room_type": "group",
        "name": "Developers",
        "username": "developers",
        "description": "Developers chat group",
        "profile_pic": "http://example.com/media/room_pictures/group.jpg",
        "members": [USER, MEMBER],
        "created_at": WHEN,
        "last_message": {**CHAT_MESSAGE, "attachments": []},
        "unread_count": 5,
    },
    "RoomCreate": {
        "room_type": "group",
        "name": "Developers",
        "username": "developers",
        "description": "Developers chat group",
        "members": [2, 3],
    },
    "RoomUpdate": {"name": "Senior Developers", "description": "Updated description"},
    "RoomMember": {"id": 1, "room": ROOM_ID, "user": USER, "role": "owner", "joined_at": WHEN},
    "MemberTarget": {"user_id": 2},
    "MessagePage": {
        "count": 100,
        "next": f"http://example.com/api/chat/message/{ROOM_ID}/list_by_room/?limit=50&offset=50",
        "previous": None,
        "results": [CHAT_MESSAGE],
    },
    "FileUpload": {"file": "<file>", "file_type": "image"},
    "Notification": NOTIFICATION,
    "NotificationPage": {
        "count": 12,
        "next": "http://example.com/api/notifications/?page=2",
        "previous": None,
        "results": [NOTIFICATION],
    },
    "UnreadCount": {"unread_count": 3},
    "MarkRead": {"ids": [7, 8]},
    "NotificationSettings": {"post_liked": True, "mentioned": True, "contact_added": False},
    "PushKey": {"public_key": VAPID_PUBLIC_KEY},
    "PushSubscription": {"id": 1, **PUSH_SUBSCRIPTION, "created_at": WHEN},
    "PushKeys": PUSH_SUBSCRIPTION["keys"],
    "PushUnsubscribe": {"endpoint": PUSH_SUBSCRIPTION["endpoint"]},
}

# Error bodies share four schemas; the example says what that status means.
ERROR_EXAMPLES = {
    401: {"detail": "Authentication credentials were not provided."},
    403: {"detail": "You do not have permission to perform this action."},
    404: {"error": "Resource not found"},
    405: {"error": "Method not allowed."},
    413: {"error": "The uploaded file is too large."},
    415: {"error": "Unsupported media type."},
    500: {"error": "Internal server error occurred"},
    503: {"error": "The service is temporarily unavailable. Try again shortly."},
}
GENERIC_ERROR = {"error": "The request could not be completed."}

LIST_HEADERS = {
    "X-Total-Count": {
        "description": "How many items the whole list has (across pages).",
        "schema": {"type": "integer"},
    },
    "Link": {
        "description": 'RFC 8288 links to the next and previous pages (`rel="next"`, '
        '`rel="prev"`), absent when there is no other page.',
        "schema": {"type": "string"},
        "example": '<http://example.com/api/chat/files/?limit=100&offset=100>; rel="next"',
    },
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again (the same as `wait_seconds`).",
        "schema": {"type": "integer"},
        "example": 60,
    }
}


def schema_name(schema: dict) -> str | None:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def body_example(schema: dict, components: dict, *, leave_out: str) -> object:
    """The example of a `$ref` (or an array of them) without the fields marked `leave_out`
    (readOnly in requests, writeOnly in answers), as the document's own schemas say."""
    if schema.get("type") == "array":
        return [body_example(schema["items"], components, leave_out=leave_out)]
    name = schema_name(schema)
    properties = components.get(name, {}).get("properties", {})
    return {
        field: deepcopy(value)
        for field, value in EXAMPLES[name].items()
        if not properties.get(field, {}).get(leave_out)
    }


def error_example(status: int, schema: dict) -> object:
    name = schema_name(schema) or "Error"
    if status in ERROR_EXAMPLES and name in ("Error", "AuthError"):
        return ERROR_EXAMPLES[status]
    if name == "Error":
        return GENERIC_ERROR
    return EXAMPLES[name]


class ExamplesPlugin(BasePlugin):
    def init_spec(self, spec):
        self.spec = spec

    def _schemas(self) -> dict:
        return self.spec.components.schemas

    def response_helper(self, response, **kwargs):
        """Error response components (named by status): their example, and Retry-After."""
        content = response.get("content", {})
        if any("anyOf" in media.get("schema", {}) for media in content.values()):
            for media in content.values():  # the default answer: any error shape
                media.setdefault("example", ERROR_EXAMPLES[405])
            return response
        status = _status_of(response.get("description", ""))
        if status is None:
            return None
        for media in content.values():
            media.setdefault("example", error_example(status, media.get("schema", {})))
        if status == 429:
            response.setdefault("headers", {}).update(RETRY_AFTER)
        return response

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            content = operation.get("requestBody", {}).get("content", {})
            for media_type, media in content.items():
                if media_type == "multipart/form-data" and "application/json" in content:
                    continue  # JSON, or a form when files are sent: the JSON example shows both
                example = body_example(media["schema"], self._schemas(), leave_out="readOnly")
                media.setdefault("example", example)
            for code, response in operation.get("responses", {}).items():
                if isinstance(response, dict):
                    self._answer(int(code) if str(code).isdigit() else 0, response)

    def _answer(self, status: int, response: dict) -> None:
        for media in response.get("content", {}).values():
            schema = media.get("schema", {})
            if status >= 400:
                media.setdefault("example", error_example(status, schema))
                continue
            media.setdefault(
                "example", body_example(schema, self._schemas(), leave_out="writeOnly")
            )
            if schema.get("type") == "array":
                response.setdefault("headers", {}).update(deepcopy(LIST_HEADERS))
        if status == 429:
            response.setdefault("headers", {}).update(deepcopy(RETRY_AFTER))


def _status_of(description: str) -> int | None:
    for status in http.HTTPStatus:
        if status.phrase == description and status >= 400:
            return int(status)
    return None
