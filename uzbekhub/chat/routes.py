"""Chat over REST (Chat API 1-19): rooms, members and roles, history, files.

Messages are sent over the sockets; every rule lives in the chat's `*_services` modules.
"""

from flask import Flask
from flask.views import MethodView

from uzbekhub.accounts.caller import caller_state, current_user, verify_access
from uzbekhub.chat import (
    file_services,
    history_services,
    member_services,
    message_services,
    room_services,
)
from uzbekhub.chat.events import register_events
from uzbekhub.chat.schemas import (
    ChatFileSchema,
    FileUploadSchema,
    MemberTargetSchema,
    MessagePageSchema,
    RoomCreateSchema,
    RoomMemberSchema,
    RoomSchema,
    RoomUpdateSchema,
)
from uzbekhub.common.json import json_response
from uzbekhub.common.media import register_media_guard, stores_media
from uzbekhub.common.pagination import (
    ArrayArgsSchema,
    MessageArgsSchema,
    array_page,
)
from uzbekhub.common.schemas import MessageSchema
from uzbekhub.common.smorest import Blueprint

rooms = Blueprint("chat_rooms", __name__, url_prefix="/api/chat/rooms", description="Chat rooms")
members = Blueprint(
    "chat_members", __name__, url_prefix="/api/chat/members", description="Chat room members"
)
messages = Blueprint(
    "chat_messages", __name__, url_prefix="/api/chat/message", description="Chat history"
)
files = Blueprint("chat_files", __name__, url_prefix="/api/chat/files", description="Chat files")

BLUEPRINTS = (rooms, members, messages, files)

role_forbids = Blueprint.answers(403, description="The caller's role does not allow it")


# --- rooms --------------------------------------------------------------------------------------


@rooms.route("/")
class RoomViews(MethodView):
    @rooms.signed_in(200, RoomSchema(many=True), query=ArrayArgsSchema)
    def get(self, args):
        """The caller's rooms, most recently active first, with unread counts"""
        uid = caller_state().id
        return array_page(
            room_services.rooms_query(uid),
            args,
            fetch=lambda stmt: room_services.load_rooms(stmt, uid),
        )

    @rooms.signed_in(201, RoomSchema, body=RoomCreateSchema)
    @rooms.alt_response(200, schema=RoomSchema, description="The private room already exists")
    @stores_media
    def post(self, data):
        """Create a private room or a group (multipart when sending profile_pic)"""
        room_id, created = room_services.create_room(current_user, data)
        return room_services.room_detail(current_user, room_id), 201 if created else 200


@rooms.route("/<uuid:room_id>/")
class RoomByIdViews(MethodView):
    @rooms.signed_in(200, RoomSchema)
    def get(self, room_id):
        """A room the caller is a member of"""
        return room_services.room_detail(current_user, room_id)

    @rooms.signed_in(200, RoomSchema, body=RoomUpdateSchema)
    @role_forbids
    @stores_media
    def patch(self, changes, room_id):
        """Change a group's name, username, description or picture (owner or admin)"""
        room_services.update_room(current_user, room_id, changes)
        return room_services.room_detail(current_user, room_id)

    @rooms.signed_in(204)
    @role_forbids
    def delete(self, room_id):
        """Delete a group (owner) or a private room (either member)"""
        room_services.delete_room(current_user, room_id)


@rooms.route("/<uuid:pk>/clear_messages/", methods=["POST"])
@rooms.signed_in(200, MessageSchema)
@role_forbids
def clear_messages(pk):
    """Delete every message of the room (a group's owner, or either private member)"""
    room_services.clear_messages(current_user, pk)
    return {"message": "All messages cleared successfully"}


# --- members ------------------------------------------------------------------------------------


@members.route("/<uuid:room_id>/list_members/")
@members.signed_in(200, RoomMemberSchema(many=True), query=ArrayArgsSchema)
def list_members(args, room_id):
    """The room's members with their roles"""
    return array_page(
        member_services.members_query(current_user, room_id),
        args,
        fetch=member_services.load_members,
    )


@members.route("/<uuid:room_id>/join/", methods=["POST"])
@members.signed_in(201, MessageSchema)
@members.answers(400)
def join(room_id):
    """Join a group by its id"""
    member_services.join(current_user, room_id)
    return {"message": "Successfully joined the room"}


@members.route("/<uuid:room_id>/leave/", methods=["POST"])
@members.signed_in(200, MessageSchema)
@role_forbids
def leave(room_id):
    """Leave a group (the owner transfers ownership first)"""
    member_services.leave(current_user, room_id)
    return {"message": "Successfully left the room"}


@members.route("/<uuid:room_id>/set_admin/", methods=["POST"])
@members.signed_in(200, MessageSchema, json=MemberTargetSchema)
@role_forbids
def set_admin(data, room_id):
    """Make a member an admin (owner)"""
    member_services.set_admin(current_user, room_id, data["user_id"])
    return {"message": "User promoted to admin"}


@members.route("/<uuid:room_id>/remove_admin/", methods=["POST"])
@members.signed_in(200, MessageSchema, json=MemberTargetSchema)
@role_forbids
def remove_admin(data, room_id):
    """Make an admin a plain member again (owner)"""
    member_services.remove_admin(current_user, room_id, data["user_id"])
    return {"message": "Admin role removed"}


@members.route("/<uuid:room_id>/transfer_owner/", methods=["POST"])
@members.signed_in(200, MessageSchema, json=MemberTargetSchema)
@role_forbids
def transfer_owner(data, room_id):
    """Hand the group to another member; the old owner stays on as an admin (owner)"""
    member_services.transfer_owner(current_user, room_id, data["user_id"])
    return {"message": "Ownership transferred successfully"}


@members.route("/<uuid:room_id>/add_member/", methods=["POST"])
@members.signed_in(200, MessageSchema, json=MemberTargetSchema)
@role_forbids
def add_member(data, room_id):
    """Add a user to the group (owner or admin)"""
    member_services.add_member(current_user, room_id, data["user_id"])
    return {"message": "Member added successfully"}


@members.route("/<uuid:room_id>/remove_member/", methods=["POST"])
@members.signed_in(200, MessageSchema, json=MemberTargetSchema)
@role_forbids
def remove_member(data, room_id):
    """Remove a member (the owner: anyone else; an admin: plain members)"""
    member_services.remove_member(current_user, room_id, data["user_id"])
    return {"message": "Member removed successfully"}


# --- messages -----------------------------------------------------------------------------------


@messages.route("/<uuid:room_id>/list_by_room/")
@messages.signed_in(200, MessagePageSchema, query=MessageArgsSchema)
def list_by_room(args, room_id):
    """The room's history, newest first (messages are sent over the sockets)"""
    return json_response(history_services.history_page(caller_state().id, room_id, args))


@messages.route("/<uuid:message_id>/", methods=["DELETE"])
@messages.signed_in(204)
@role_forbids
def delete_message(message_id):
    """Delete a message for everyone (its sender, or a group's owner or admin)"""
    message_services.delete_message(current_user, message_id)


# --- files --------------------------------------------------------------------------------------


@files.route("/")
class FileViews(MethodView):
    @files.signed_in(200, ChatFileSchema(many=True), query=ArrayArgsSchema)
    def get(self, args):
        """The caller's uploaded files, newest first"""
        return array_page(file_services.files_query(current_user), args)

    @files.signed_in(201, ChatFileSchema, multipart=FileUploadSchema)
    @files.alt_response(200, schema=ChatFileSchema, description="The caller had these bytes")
    @files.answers(413, description="Over MAX_UPLOAD_MB, or the caller's media quota is used up")
    @stores_media
    def post(self, data):
        """Upload a file to attach to messages (identical bytes are stored once)"""
        record, created = file_services.upload_file(current_user, data["file"], data["file_type"])
        return record, 201 if created else 200


@files.route("/<int:pk>/")
class FileByIdViews(MethodView):
    @files.signed_in(204)
    def delete(self, pk):
        """Delete one of the caller's files"""
        file_services.delete_file(current_user, pk)


# --- wiring -------------------------------------------------------------------------------------


def _may_fetch_chat_file(path: str) -> bool:
    """Chat files are served to their uploader and the members of rooms they were sent to."""
    verify_access(query_string=True)
    return file_services.may_fetch_file(current_user, path)


def register_chat(app: Flask) -> None:
    """The chat's parts that live with the app: its event bus, the typing throttle, and the
    guard on chat files under /media/."""
    register_events(app)
    message_services.register_typing_throttle(app)
    # Media links cannot carry headers everywhere (<img src>): `?token=` works too.
    app.config["JWT_QUERY_STRING_NAME"] = "token"
    register_media_guard(file_services.CHAT_FILES, _may_fetch_chat_file)
