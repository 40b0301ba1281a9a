"""The caller's own account: profile, username check, email change, deletion, status."""

from flask.views import MethodView

from uzbekhub.accounts import profile_services
from uzbekhub.accounts.caller import caller_state, current_user
from uzbekhub.accounts.schemas import (
    ChangeEmailSchema,
    CodeSchema,
    CurrentPasswordSchema,
    ProfileSchema,
    ProfileUpdateSchema,
    StatusSchema,
    UsernameAvailabilitySchema,
    UsernameQuerySchema,
)
from uzbekhub.common.media import stores_media
from uzbekhub.common.ratelimit import throttle
from uzbekhub.common.schemas import MessageSchema
from uzbekhub.common.smorest import Blueprint

blp = Blueprint("account", __name__, url_prefix="/api/accounts/account", description="Accounts")


@blp.route("/profile/")
class ProfileView(MethodView):
    @blp.signed_in(200, ProfileSchema)
    def get(self):
        """The caller's own profile"""
        return profile_services.load_profile(caller_state().id)

    @blp.signed_in(200, ProfileSchema, body=ProfileUpdateSchema)
    @stores_media
    def patch(self, changes):
        """Update the profile (multipart for `profile_picture`, or JSON).

        A new `password` revokes every token of the account, the one of this
        request included: sign in again with the new password.
        """
        profile_services.update_profile(current_user, changes)
        return profile_services.load_profile(caller_state().id)


@blp.route("/check/username/", methods=["GET"])
@blp.signed_in(200, UsernameAvailabilitySchema, query=UsernameQuerySchema)
def check_username(args):
    """Whether a username is valid and free (the caller's own counts as free)"""
    return {"available": profile_services.username_available(args["username"], current_user)}


@blp.route("/change-email/", methods=["POST"])
@blp.signed_in(200, MessageSchema, json=ChangeEmailSchema)
def change_email(data):
    """Mail a 5-digit code to the new address (the current password is required)"""
    profile_services.request_email_change(current_user, data["new_email"], data["password"])
    return {
        "message": "A verification code has been sent to your new email address "
        "to update your email."
    }


@blp.route("/change-email/confirm/", methods=["POST"])
@throttle("code_confirm")
@blp.signed_in(200, MessageSchema, json=CodeSchema)
def change_email_confirm(data):
    """Confirm the caller's own email change with the mailed code"""
    profile_services.confirm_email_change(current_user, data["code"])
    return {"message": "Email successfully updated"}


@blp.route("/delete/", methods=["POST"])
@blp.signed_in(200, MessageSchema, json=CurrentPasswordSchema)
def delete_account(data):
    """Mail a 5-digit code that confirms the deletion (the password is required)"""
    profile_services.request_account_deletion(current_user, data["password"])
    return {"message": "Verification code sent to email"}


@blp.route("/delete/confirm/", methods=["POST"])
@throttle("code_confirm")
@blp.signed_in(204, json=CodeSchema)
def delete_account_confirm(data):
    """Delete the caller's account for good, with the mailed code"""
    profile_services.confirm_account_deletion(current_user, data["code"])


@blp.route("/status/")
class StatusViews(MethodView):
    @blp.signed_in(200, StatusSchema)
    @blp.answers(404)
    def get(self):
        """The caller's status (404 when none is set)"""
        return profile_services.own_status(current_user)

    @blp.signed_in(201, StatusSchema, json=StatusSchema)
    def post(self, data):
        """Set a status (400 when one is set already)"""
        return profile_services.create_status(current_user, data["content"])

    @blp.signed_in(200, StatusSchema, json=StatusSchema)
    @blp.answers(404)
    def put(self, data):
        """Change the status"""
        return profile_services.update_status(current_user, data["content"])

    @blp.signed_in(204)
    @blp.answers(404)
    def delete(self):
        """Remove the status"""
        profile_services.delete_status(current_user)
