"""Who may do what: one row per route and method, the answer for every kind of caller.

`MATRIX` is walked against `app.url_map`: a new route without a row fails the suite. Each row
names the request (made against a fresh `World`) and the status expected for the owner of the
objects it names, another user, a user the owner has blocked, a staff user and an anonymous
caller. A success for anyone but the owner must say which rule (docs/rules.md, README) intends it.

Every response is also scanned for what must never reach the caller: other users' emails,
phones and coordinates, password hashes, codes, tokens and internal paths (`leaks`).
"""

import io
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.factories import PASSWORD
from tests.support.push_service import Browser
from tests.support.smtp import CODE_RE, MailCatcher
from tests.trust.world import PLACES, ROLES, World, png

ROOT = str(Path(__file__).resolve().parents[2])
ACC = "/api/accounts/account"
AUTH = "/api/accounts/auth"


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    request: object  # (world, caller Account | None) -> {"path": ..., **client kwargs}
    expect: dict
    why: str = ""
    variant: str = ""

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.method}" + (f"[{self.variant}]" if self.variant else "")


def answers(owner, other, blocked, staff, anon=401) -> dict:
    return {"owner": owner, "other": other, "blocked": blocked, "staff": staff, "anon": anon}


def same(status) -> dict:
    return answers(status, status, status, status, status)


def own(status, anon=401) -> dict:
    """A route about the caller's own data: every signed-in caller gets its own."""
    return answers(status, status, status, status, anon)


ONLY_OWNER_404 = {"other": 404, "blocked": 404, "staff": 404, "anon": 401}


def owner_only(status) -> dict:
    return {"owner": status, **ONLY_OWNER_404}


def get(path_of):
    return lambda w, me: {"path": path_of(w)}


def send(path_of, body_of=None, **extra):
    def build(w, me):
        spec = {"path": path_of(w), **extra}
        if body_of is not None:
            spec["json"] = body_of(w, me)
        return spec

    return build


def form(path_of, fields_of):
    return lambda w, me: {
        "path": path_of(w),
        "data": fields_of(w, me),
        "content_type": "multipart/form-data",
    }


NOTIFS = "/api/notifications/"
PUSH_ENDPOINT = "https://8.8.8.8/push/owner-laptop"


def owner_notification(w) -> int:
    """The owner's notification: the peer (a contact, who sees the owner) likes their post."""
    w.call(w.peer, "POST", "/api/posts/like/", json={"post": w.post})
    return w.call(w.owner, "GET", NOTIFS).get_json()["results"][0]["id"]


def push_subscription() -> dict:
    return {"endpoint": PUSH_ENDPOINT, "keys": Browser(PUSH_ENDPOINT).subscription()["keys"]}


def owner_subscription(w) -> dict:
    """The owner's browser subscribed; each caller asks to forget that endpoint."""
    response = w.call(w.owner, "POST", f"{NOTIFS}push/subscriptions/", json=push_subscription())
    assert response.status_code == 201, response.get_json()
    return {"endpoint": PUSH_ENDPOINT}


def fresh_email(w, me) -> str:
    return f"new.{uuid.uuid4().hex[:8]}@example.com"


def own_refresh(w, me) -> dict:
    return {"refresh": me.refresh if me else "not-a-token"}


SELF = "self: the caller's own data, nobody else's"
SEES_OWNER = "rules.md: the owner is public and not blocked either way, so the caller sees it"
JOINABLE = "rules.md: group rooms are joinable by anyone not blocked by the owner"
PUBLIC_ROUTE = "open to everyone by design (spec: no account needed)"
PROBE = "README operations: load balancers probe health without an account"
PUBLIC_MEDIA = "rules.md: media other than chat files are public at unguessable URLs"
STAFF_POSTS = "posts README: staff delete any post (moderation)"
STAFF_ADMIN = "rules.md: staff list, view and delete non-staff users"
DEV_ONLY = "development only, absent in production (README): the mails this process sent"
PLAIN_HTTP_TO_SOCKET = "a WebSocket route: a request without the Upgrade handshake is refused"
NO_TOKEN_NEEDED = "auth: the body (credentials, code, token) is what counts, not the caller"


MATRIX = [
    # --- auth: the body authenticates, whoever calls ----------------------------------------
    Row(
        "auth.signup",
        "POST",
        send(
            lambda w: f"{AUTH}/signup/",
            lambda w, me: {
                "email": fresh_email(w, me),
                "password": PASSWORD,
                "confirm_password": PASSWORD,
            },
        ),
        same(201),
        NO_TOKEN_NEEDED,
    ),
    Row(
        "auth.email_verify",
        "POST",
        send(lambda w: f"{AUTH}/email-verify/", lambda w, me: {"code": "00000"}),
        same(400),
    ),
    Row(
        "auth.signin",
        "POST",
        send(
            lambda w: f"{AUTH}/signin/",
            lambda w, me: {"email": w.owner.email, "password": "not-the-password"},
        ),
        same(400),
    ),
    Row(
        "auth.google_signin",
        "POST",
        send(lambda w: f"{AUTH}/oauth2/google/", lambda w, me: {"token": w.google_token}),
        same(200),
        NO_TOKEN_NEEDED,
    ),
    Row(
        "auth.forgot_password",
        "POST",
        send(lambda w: f"{AUTH}/forgot-password/", lambda w, me: {"email": w.owner.email}),
        same(200),
        "rules.md: the same answer whether or not the email exists; the link goes to the owner",
    ),
    Row(
        "auth.reset_password",
        "POST",
        send(
            lambda w: f"{AUTH}/reset-password/not-a-real-token/",
            lambda w, me: {
                "new_password": "brand-new-pass-1",
                "confirm_password": "brand-new-pass-1",
            },
        ),
        same(400),
    ),
    Row(
        "auth.refresh",
        "POST",
        send(lambda w: f"{AUTH}/token/refresh/", own_refresh),
        own(200),
        SELF,
    ),
    Row(
        "auth.logout",
        "POST",
        send(lambda w: f"{AUTH}/logout/", own_refresh),
        own(200),
        SELF,
    ),
    # --- the caller's own account --------------------------------------------------------------
    Row("account.ProfileView", "GET", get(lambda w: f"{ACC}/profile/"), own(200), SELF),
    Row(
        "account.ProfileView",
        "PATCH",
        send(lambda w: f"{ACC}/profile/", lambda w, me: {"bio": "Changed"}),
        own(200),
        SELF,
    ),
    Row(
        "account.check_username",
        "GET",
        get(lambda w: f"{ACC}/check/username/?username=free_name_42"),
        own(200),
        SELF,
    ),
    Row(
        "account.change_email",
        "POST",
        send(
            lambda w: f"{ACC}/change-email/",
            lambda w, me: {"new_email": fresh_email(w, me), "password": PASSWORD},
        ),
        own(200),
        SELF,
    ),
    Row(
        "account.change_email_confirm",
        "POST",
        send(lambda w: f"{ACC}/change-email/confirm/", lambda w, me: {"code": "12345"}),
        own(400),
    ),
    Row(
        "account.delete_account",
        "POST",
        send(lambda w: f"{ACC}/delete/", lambda w, me: {"password": PASSWORD}),
        own(200),
        SELF,
    ),
    Row(
        "account.delete_account_confirm",
        "POST",
        send(lambda w: f"{ACC}/delete/confirm/", lambda w, me: {"code": "12345"}),
        own(400),
    ),
    # Only the owner has a status: the route never reaches anyone else's.
    Row(
        "account.StatusViews",
        "GET",
        lambda w, me: (w.status, {"path": f"{ACC}/status/"})[1],
        owner_only(200),
    ),
    Row(
        "account.StatusViews",
        "POST",
        lambda w, me: (w.status, {"path": f"{ACC}/status/", "json": {"content": "Hi"}})[1],
        answers(400, 201, 201, 201),
        SELF,
    ),
    Row(
        "account.StatusViews",
        "PUT",
        lambda w, me: (w.status, {"path": f"{ACC}/status/", "json": {"content": "Away"}})[1],
        owner_only(200),
    ),
    Row(
        "account.StatusViews",
        "DELETE",
        lambda w, me: (w.status, {"path": f"{ACC}/status/"})[1],
        owner_only(204),
    ),
    # Every user of the world has a location already.
    Row(
        "location.LocationViews",
        "POST",
        send(lambda w: f"{ACC}/location/", lambda w, me: {"lat": 40.1, "long": 70.1}),
        own(200),
        SELF,
    ),
    Row(
        "location.LocationViews",
        "PUT",
        send(lambda w: f"{ACC}/location/", lambda w, me: {"lat": 40.1, "long": 70.1}),
        own(200),
        SELF,
    ),
    Row(
        "location.LocationViews",
        "PATCH",
        send(lambda w: f"{ACC}/location/", lambda w, me: {"lat": 40.1}),
        own(200),
        SELF,
    ),
    Row("location.LocationViews", "DELETE", get(lambda w: f"{ACC}/location/"), own(204), SELF),
    Row(
        "discovery.nearby",
        "GET",
        get(lambda w: f"{ACC}/location/25/"),
        own(200),
        "rules.md: nearby users with their distance, never coordinates (the scan checks)",
    ),
    # --- other users ------------------------------------------------------------------------
    Row(
        "discovery.search",
        "GET",
        get(lambda w: f"{ACC}/search/{w.owner.username}/"),
        own(200),
        "rules.md: search finds public, non-blocked users (the owner is left out for `blocked`)",
    ),
    Row(
        "discovery.user_by_id",
        "GET",
        get(lambda w: f"{ACC}/user/{w.owner.id}/"),
        answers(200, 200, 404, 200),
        SEES_OWNER,
    ),
    Row(
        "discovery.public_profile",
        "GET",
        get(lambda w: f"{ACC}/profile/{w.owner.username}/"),
        answers(200, 200, 404, 200, 200),
        "rules.md and spec: a public profile needs no token; a token sent applies blocks",
    ),
    Row("social.BlockViews", "GET", get(lambda w: f"{ACC}/block/"), own(200), SELF),
    Row(
        "social.BlockViews",
        "POST",
        send(lambda w: f"{ACC}/block/", lambda w, me: {"blocked_user": w.peer.id}),
        own(201),
        SELF,
    ),
    Row(
        "social.BlockByUserViews",
        "GET",
        get(lambda w: f"{ACC}/block/{w.blocked.id}/"),
        owner_only(200),
    ),
    Row(
        "social.BlockByUserViews",
        "DELETE",
        get(lambda w: f"{ACC}/block/{w.blocked.id}/"),
        owner_only(204),
    ),
    Row("social.ContactViews", "GET", get(lambda w: f"{ACC}/contact/"), own(200), SELF),
    Row(
        "social.ContactViews",
        "POST",
        send(lambda w: f"{ACC}/contact/", lambda w, me: {"contact": w.peer.id}),
        own(201),
        SELF,
    ),
    Row(
        "social.ContactByIdViews",
        "GET",
        get(lambda w: f"{ACC}/contact/{w.contact_id}/"),
        owner_only(200),
    ),
    Row(
        "social.ContactByIdViews",
        "PUT",
        send(
            lambda w: f"{ACC}/contact/{w.contact_id}/",
            lambda w, me: {"contact": w.peer.id, "nikname": "P"},
        ),
        owner_only(200),
    ),
    Row(
        "social.ContactByIdViews",
        "PATCH",
        send(lambda w: f"{ACC}/contact/{w.contact_id}/", lambda w, me: {"nikname": "P"}),
        owner_only(200),
    ),
    Row(
        "social.ContactByIdViews",
        "DELETE",
        get(lambda w: f"{ACC}/contact/{w.contact_id}/"),
        owner_only(204),
    ),
    # --- staff ------------------------------------------------------------------------------
    Row(
        "account_admin.AdminUserViews",
        "GET",
        get(lambda w: "/api/accounts/admin/user/"),
        answers(403, 403, 403, 200),
        STAFF_ADMIN,
    ),
    Row(
        "account_admin.AdminUserByIdViews",
        "GET",
        get(lambda w: f"/api/accounts/admin/user/{w.owner.id}/"),
        answers(403, 403, 403, 200),
        STAFF_ADMIN,
    ),
    Row(
        "account_admin.AdminUserByIdViews",
        "DELETE",
        get(lambda w: f"/api/accounts/admin/user/{w.owner.id}/"),
        answers(403, 403, 403, 204),
        STAFF_ADMIN,
    ),
    # --- posts ------------------------------------------------------------------------------
    Row(
        "posts.PostViews",
        "GET",
        lambda w, me: {"path": f"/api/posts/post/?owner={w.owner.id}&x={w.post}"},
        own(200),
        "rules.md: the feed shows posts of owners the caller may see (none for `blocked`)",
    ),
    Row(
        "posts.PostViews",
        "POST",
        send(lambda w: "/api/posts/post/", lambda w, me: {"content": "Mine"}),
        own(201),
        SELF,
    ),
    Row(
        "posts.MyPostsView",
        "GET",
        lambda w, me: (w.post, {"path": "/api/posts/post/myposts/"})[1],
        own(200),
        SELF,
    ),
    Row(
        "posts.PostByIdViews",
        "GET",
        get(lambda w: f"/api/posts/post/{w.post}/"),
        answers(200, 200, 404, 200),
        SEES_OWNER,
    ),
    Row(
        "posts.PostByIdViews",
        "PATCH",
        send(lambda w: f"/api/posts/post/{w.post}/", lambda w, me: {"content": "Edited"}),
        answers(200, 403, 404, 403),
    ),
    Row(
        "posts.PostByIdViews",
        "DELETE",
        get(lambda w: f"/api/posts/post/{w.post}/"),
        answers(204, 403, 404, 204),
        STAFF_POSTS,
    ),
    Row(
        "posts.LikeViews",
        "POST",
        send(lambda w: "/api/posts/like/", lambda w, me: {"post": w.post}),
        answers(201, 201, 400, 201),
        SEES_OWNER,
    ),
    Row(
        "posts.LikeByIdViews",
        "DELETE",
        get(lambda w: f"/api/posts/like/{w.like}/"),
        answers(204, 403, 404, 403),
    ),
    Row(
        "posts.PostLikesView",
        "GET",
        lambda w, me: (w.like, {"path": f"/api/posts/{w.post}/likes/"})[1],
        answers(200, 200, 404, 200),
        SEES_OWNER,
    ),
    Row(
        "posts.CommentViews",
        "POST",
        send(lambda w: "/api/posts/comment/", lambda w, me: {"post": w.post, "comment": "Hey"}),
        answers(201, 201, 400, 201),
        SEES_OWNER,
    ),
    Row(
        "posts.CommentByIdViews",
        "PATCH",
        send(lambda w: f"/api/posts/comment/{w.comment}/", lambda w, me: {"comment": "Edited"}),
        answers(200, 403, 404, 403),
    ),
    Row(
        "posts.CommentByIdViews",
        "DELETE",
        get(lambda w: f"/api/posts/comment/{w.comment}/"),
        answers(204, 403, 404, 403),
    ),
    Row(
        "posts.PostCommentsView",
        "GET",
        lambda w, me: (w.comment, {"path": f"/api/posts/{w.post}/comments/"})[1],
        answers(200, 200, 404, 200),
        SEES_OWNER,
    ),
    Row(
        "posts.ViewViews",
        "POST",
        send(lambda w: "/api/posts/views/", lambda w, me: {"post": w.post}),
        answers(201, 201, 400, 201),
        SEES_OWNER,
    ),
    Row(
        "posts.PostViewsView",
        "GET",
        lambda w, me: (w.post_view, {"path": f"/api/posts/{w.post}/views/"})[1],
        answers(200, 200, 404, 200),
        SEES_OWNER,
    ),
    # --- stories ----------------------------------------------------------------------------
    Row(
        "stories.ActiveStoryViews",
        "GET",
        lambda w, me: (w.story, {"path": "/api/stories/active/"})[1],
        own(200),
        SELF,
    ),
    Row(
        "stories.ActiveStoryViews",
        "POST",
        form(
            lambda w: "/api/stories/active/", lambda w, me: {"media": (io.BytesIO(png()), "s.png")}
        ),
        own(201),
        SELF,
    ),
    Row(
        "stories.ActiveStoryByIdViews",
        "GET",
        get(lambda w: f"/api/stories/active/{w.story}/"),
        answers(200, 200, 404, 200),
        "rules.md: a public story is seen by anyone not blocked either way",
    ),
    Row(
        "stories.ActiveStoryByIdViews",
        "PATCH",
        send(lambda w: f"/api/stories/active/{w.story}/", lambda w, me: {"caption": "New"}),
        answers(200, 403, 404, 403),
    ),
    Row(
        "stories.ActiveStoryByIdViews",
        "DELETE",
        get(lambda w: f"/api/stories/active/{w.story}/"),
        answers(204, 403, 404, 403),
    ),
    Row(
        "stories.UserStoryViews",
        "GET",
        lambda w, me: (w.story, {"path": f"/api/stories/active/{w.owner.id}/stories/"})[1],
        answers(200, 200, 404, 200),
        "rules.md: a user's public stories are seen by anyone not blocked either way",
    ),
    Row(
        "stories.ActiveStoryViewerViews",
        "GET",
        get(lambda w: f"/api/stories/active/{w.story}/viewers/"),
        owner_only(200),
    ),
    Row(
        "stories.ArchiveViews",
        "GET",
        lambda w, me: (w.expired_story, {"path": "/api/stories/archive/"})[1],
        own(200),
        SELF,
    ),
    Row(
        "stories.ArchiveByIdViews",
        "GET",
        get(lambda w: f"/api/stories/archive/{w.expired_story}/"),
        owner_only(200),
    ),
    Row(
        "stories.ArchiveByIdViews",
        "DELETE",
        get(lambda w: f"/api/stories/archive/{w.expired_story}/"),
        owner_only(204),
    ),
    Row(
        "stories.ArchiveViewerViews",
        "GET",
        get(lambda w: f"/api/stories/archive/{w.expired_story}/viewers/"),
        owner_only(200),
    ),
    Row(
        "stories.ReactionViews",
        "POST",
        send(
            lambda w: "/api/stories/reaction/",
            lambda w, me: {"story": w.story, "reaction": "wow"},
        ),
        answers(400, 201, 404, 201),
        "rules.md: anyone who sees a story may react once (not its owner)",
    ),
    Row(
        "stories.ReactionByIdViews",
        "PATCH",
        send(lambda w: f"/api/stories/reaction/{w.reaction}/", lambda w, me: {"reaction": "ok"}),
        owner_only(200),
    ),
    Row(
        "stories.ReactionByIdViews",
        "DELETE",
        get(lambda w: f"/api/stories/reaction/{w.reaction}/"),
        owner_only(204),
    ),
    Row(
        "stories.ViewedViews",
        "POST",
        send(lambda w: "/api/stories/viewed/", lambda w, me: {"story": w.story}),
        answers(400, 201, 404, 201),
        "rules.md: anyone who sees a story records a view once (not its owner)",
    ),
    # --- the comments app: no account needed -------------------------------------------------
    Row(
        "comments.list_comments",
        "GET",
        get(lambda w: "/api/comments/comment"),
        same(200),
        PUBLIC_ROUTE,
    ),
    Row(
        "comments.create_comment",
        "POST",
        send(lambda w: "/api/comments/comment", lambda w, me: {"content": "Nice app"}),
        same(201),
        PUBLIC_ROUTE,
    ),
    # --- chat rooms -------------------------------------------------------------------------
    Row(
        "chat_rooms.RoomViews",
        "GET",
        lambda w, me: (w.group, {"path": "/api/chat/rooms/"})[1],
        own(200),
        SELF,
    ),
    Row(
        "chat_rooms.RoomViews",
        "POST",
        send(lambda w: "/api/chat/rooms/", lambda w, me: {"room_type": "group", "name": "Mine"}),
        own(201),
        SELF,
    ),
    Row(
        "chat_rooms.RoomViews",
        "POST",
        send(
            lambda w: "/api/chat/rooms/",
            lambda w, me: {"room_type": "private", "members": [w.owner.id]},
        ),
        answers(400, 201, 400, 201),
        "rules.md: a private room with any user one may see, not blocked either way",
        variant="private room with the owner",
    ),
    Row(
        "chat_rooms.RoomByIdViews",
        "GET",
        get(lambda w: f"/api/chat/rooms/{w.group}/"),
        owner_only(200),
    ),
    Row(
        "chat_rooms.RoomByIdViews",
        "GET",
        get(lambda w: f"/api/chat/rooms/{w.private_room}/"),
        owner_only(200),
        variant="private room",
    ),
    Row(
        "chat_rooms.RoomByIdViews",
        "PATCH",
        send(lambda w: f"/api/chat/rooms/{w.group}/", lambda w, me: {"description": "About"}),
        owner_only(200),
    ),
    Row(
        "chat_rooms.RoomByIdViews",
        "DELETE",
        get(lambda w: f"/api/chat/rooms/{w.group}/"),
        owner_only(204),
    ),
    Row(
        "chat_rooms.RoomByIdViews",
        "DELETE",
        get(lambda w: f"/api/chat/rooms/{w.private_room}/"),
        owner_only(204),
        variant="private room",
    ),
    Row(
        "chat_rooms.clear_messages",
        "POST",
        lambda w, me: (w.message, {"path": f"/api/chat/rooms/{w.group}/clear_messages/"})[1],
        owner_only(200),
    ),
    # --- chat members -----------------------------------------------------------------------
    Row(
        "chat_members.list_members",
        "GET",
        get(lambda w: f"/api/chat/members/{w.group}/list_members/"),
        owner_only(200),
    ),
    Row(
        "chat_members.join",
        "POST",
        get(lambda w: f"/api/chat/members/{w.group}/join/"),
        answers(400, 201, 404, 201),
        JOINABLE,
    ),
    Row(
        "chat_members.leave",
        "POST",
        get(lambda w: f"/api/chat/members/{w.group}/leave/"),
        answers(403, 404, 404, 404),
    ),
    *(
        Row(
            f"chat_members.{action}",
            "POST",
            send(
                lambda w, action=action: f"/api/chat/members/{w.group}/{action}/",
                lambda w, me: {"user_id": w.peer.id},
            ),
            owner_only(200),
        )
        for action in ("set_admin", "remove_admin", "transfer_owner", "remove_member")
    ),
    Row(
        "chat_members.add_member",
        "POST",
        send(
            lambda w: f"/api/chat/members/{w.group}/add_member/",
            lambda w, me: {"user_id": w.guest.id},
        ),
        owner_only(200),
    ),
    # --- chat history and files ------------------------------------------------------------
    Row(
        "chat_messages.list_by_room",
        "GET",
        lambda w, me: (w.message, {"path": f"/api/chat/message/{w.group}/list_by_room/"})[1],
        owner_only(200),
    ),
    Row(
        "chat_messages.delete_message",
        "DELETE",
        get(lambda w: f"/api/chat/message/{w.message}/"),
        owner_only(204),
    ),
    Row(
        "chat_files.FileViews",
        "GET",
        lambda w, me: (w.chat_file, {"path": "/api/chat/files/"})[1],
        own(200),
        SELF,
    ),
    Row(
        "chat_files.FileViews",
        "POST",
        form(
            lambda w: "/api/chat/files/",
            lambda w, me: {"file": (io.BytesIO(b"caller's notes"), "n.txt"), "file_type": "other"},
        ),
        own(201),
        SELF,
    ),
    Row(
        "chat_files.FileByIdViews",
        "DELETE",
        get(lambda w: f"/api/chat/files/{w.chat_file['id']}/"),
        owner_only(204),
    ),
    # --- notifications ----------------------------------------------------------------------
    Row("notifications.NotificationViews", "GET", get(lambda w: NOTIFS), own(200), SELF),
    Row(
        "notifications.UnreadCountView",
        "GET",
        get(lambda w: f"{NOTIFS}unread_count/"),
        own(200),
        SELF,
    ),
    Row(
        "notifications.MarkReadView",
        "POST",
        send(lambda w: f"{NOTIFS}read/", lambda w, me: {"all": True}),
        own(200),
        SELF,
    ),
    Row(
        "notifications.NotificationByIdView",
        "DELETE",
        get(lambda w: f"{NOTIFS}{owner_notification(w)}/"),
        owner_only(204),
    ),
    Row("notifications.SettingsView", "GET", get(lambda w: f"{NOTIFS}settings/"), own(200), SELF),
    Row(
        "notifications.SettingsView",
        "PATCH",
        send(lambda w: f"{NOTIFS}settings/", lambda w, me: {"post_liked": False}),
        own(200),
        SELF,
    ),
    Row("notifications.PushKeyView", "GET", get(lambda w: f"{NOTIFS}push/key/"), own(200), SELF),
    Row(
        "notifications.PushSubscriptionViews",
        "POST",
        send(lambda w: f"{NOTIFS}push/subscriptions/", lambda w, me: push_subscription()),
        own(201),
        SELF,
    ),
    Row(
        "notifications.PushSubscriptionViews",
        "DELETE",
        send(lambda w: f"{NOTIFS}push/subscriptions/", lambda w, me: owner_subscription(w)),
        owner_only(204),
    ),
    # --- media and docs ---------------------------------------------------------------------
    Row(
        "media.serve_media",
        "GET",
        get(lambda w: w.chat_file_path),
        owner_only(200),
        variant="chat file",
    ),
    Row(
        "media.serve_media",
        "GET",
        get(lambda w: w.picture_path),
        same(200),
        PUBLIC_MEDIA,
        variant="profile picture",
    ),
    # The sockets answer plain HTTP with 400; who may connect (4401/4403/4404) is tested over
    # real sockets in tests/realtime, for a member, a non-member, a bad token and no room.
    Row("chat_ws.all_rooms", "GET", get(lambda w: "/ws/chat/"), same(400), PLAIN_HTTP_TO_SOCKET),
    Row(
        "chat_ws.one_room",
        "GET",
        get(lambda w: f"/ws/chat/{w.group}/"),
        same(400),
        PLAIN_HTTP_TO_SOCKET,
    ),
    Row("health.healthz", "GET", get(lambda w: "/healthz"), same(200), PROBE),
    Row("health.readyz", "GET", get(lambda w: "/readyz"), same(200), PROBE),
    Row("api-docs.openapi_json", "GET", get(lambda w: "/openapi.json"), same(200), PUBLIC_ROUTE),
    Row("index.api_index", "GET", get(lambda w: "/"), same(200), PUBLIC_ROUTE),
    Row("dev_mail.recent_mail", "GET", get(lambda w: "/dev/mail/"), same(200), DEV_ONLY),
    Row("api-docs.openapi_redoc", "GET", get(lambda w: "/redoc/"), same(200), PUBLIC_ROUTE),
    Row("api-docs.openapi_swagger_ui", "GET", get(lambda w: "/swdoc/"), same(200), PUBLIC_ROUTE),
    Row(
        "docs_assets.swagger_ui_asset",
        "GET",
        get(lambda w: "/docs-static/swagger-ui/swagger-ui.css"),
        same(200),
        PUBLIC_ROUTE,
    ),
    Row(
        "docs_assets.redoc_asset",
        "GET",
        get(lambda w: "/docs-static/redoc/logo-mini.svg"),
        same(200),
        PUBLIC_ROUTE,
    ),
]


# --- the table is complete and means what it says ----------------------------------------------


def routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_and_method_has_a_row(app):
    covered = {(row.endpoint, row.method) for row in MATRIX}
    assert routes(app) - covered == set(), "routes without a row in the matrix"
    assert covered - routes(app) == set(), "rows for routes that do not exist"


def test_every_success_for_someone_else_says_why_it_is_intended():
    for row in MATRIX:
        outsiders = [role for role in ROLES if role != "owner" and 200 <= row.expect[role] < 300]
        if outsiders:
            assert row.why, f"{row.id}: 2xx for {outsiders} without a reason"
        assert set(row.expect) == set(ROLES), row.id


# --- data exposure ------------------------------------------------------------------------------


@dataclass
class Forbidden:
    texts: dict = field(default_factory=dict)  # text -> what it is

    def add(self, text: str | None, what: str) -> None:
        if text:
            self.texts[text] = what

    def found_in(self, haystack: str) -> list[str]:
        lowered = haystack.lower()
        return [what for text, what in self.texts.items() if text.lower() in lowered]


def coordinate_forms(value: float) -> list[str]:
    return [f"{value:.6f}", f"{value:.5f}", f"{value:.4f}"]


def forbidden_for(w: World, role: str, app, mails: MailCatcher) -> tuple[Forbidden, list[str]]:
    """What the caller in `role` must never receive, and the codes mailed during the test."""
    never = Forbidden()
    stored = w.secrets_in_database()
    for name, account in w.accounts.items():
        if name == role:
            continue
        if role != "staff":  # staff see emails and phones (docs/rules.md)
            never.add(account.email, f"{name}'s email")
            never.add(w.phones[name], f"{name}'s phone")
        for value in PLACES[name]:
            for text in coordinate_forms(value):
                never.add(text, f"{name}'s coordinates")
        never.add(account.access, f"{name}'s access token")
        never.add(account.refresh, f"{name}'s refresh token")
        for secret in stored.get(account.id, []):
            never.add(secret, f"{name}'s stored secret")
    for text in ("$argon2", "password_hash", "code_hash", "token_hash", "Traceback", PASSWORD):
        never.add(text, f"internal: {text}")
    for path in {app.config["MEDIA_ROOT"], app.instance_path, ROOT}:
        never.add(path, "an internal path")
    if role == "blocked":
        never.add(w.owner.username, "the owner's username, to a user the owner blocked")
    codes, links = [], []
    for message in list(mails.inbox):
        body = MailCatcher.body_of(message)
        codes += CODE_RE.findall(body)
        links += re.findall(r"/reset-password/([^/\s]+)/", body)
    for link in links:
        never.add(link, "a mailed reset token")
    return never, codes


def exposed(response, never: Forbidden, codes: list[str]) -> list[str]:
    text = response.get_data().decode("latin-1")
    text += "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    found = never.found_in(text)
    found += [f"mailed code {c}" for c in codes if re.search(rf"(?<!\d){c}(?!\d)", text)]
    return found


# --- the answers --------------------------------------------------------------------------------


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


@pytest.fixture(scope="module")
def documented(app):
    spec = app.test_client().get("/openapi.json").get_json()
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    return spec, rules


def answer_problems(app, client, mail_catcher, google_keys, documented, row, role) -> list:
    """Run `row` as `role` in a world of its own; what is wrong with the answer, if anything."""
    world = World(app, client)
    world.google_token = google_keys.token()
    caller = world.account(role)
    spec = row.request(world, caller)
    path = spec.pop("path")
    mail_catcher.clear()

    response = world.call(caller, row.method, path, **spec)

    problems = []
    if response.status_code != row.expect[role]:
        body = response.get_data()[:300]
        problems.append(f"{role}: {response.status_code} instead of {row.expect[role]}: {body}")
    never, codes = forbidden_for(world, role, app, mail_catcher)
    if leaked := exposed(response, never, codes):
        problems.append(f"{role}: the answer exposes {leaked}")
    spec_doc, rules = documented
    rule = rules[row.endpoint]
    if rule.startswith("/api/"):
        operation = spec_doc["paths"][openapi_path(rule)][row.method.lower()]
        if str(response.status_code) not in operation["responses"]:
            problems.append(f"{role}: {response.status_code} is not documented")
    return problems


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
def test_matrix(app, client, mail_catcher, google_keys, documented, row):
    """Every role in a world of its own; the worlds share the database but nothing else."""
    problems = []
    for role in ROLES:
        problems += answer_problems(app, client, mail_catcher, google_keys, documented, row, role)
    assert problems == [], f"{row.id}: " + "\n".join(problems)


def test_the_exposure_scan_finds_what_it_looks_for(app, client, mail_catcher):
    """The scan above would notice a leak: shown answers meant for someone else."""
    world = World(app, client)
    admin_list = world.call(world.staff, "GET", "/api/accounts/admin/user/")
    own_profile = world.call(world.owner, "GET", f"{ACC}/profile/")
    world.call(world.owner, "POST", f"{AUTH}/forgot-password/", json={"email": world.owner.email})
    world.call(
        world.owner,
        "POST",
        f"{ACC}/delete/",
        json={"password": PASSWORD},
    )
    never, codes = forbidden_for(world, "other", app, mail_catcher)
    mail_text = "\n".join(MailCatcher.body_of(m) for m in mail_catcher.inbox)
    echo = app.response_class(mail_text)

    assert {"owner's email", "owner's phone"} <= set(exposed(admin_list, never, codes))
    assert "owner's coordinates" in exposed(own_profile, never, codes)
    found = exposed(echo, never, codes)
    assert "a mailed reset token" in found
    assert any(item.startswith("mailed code") for item in found)
