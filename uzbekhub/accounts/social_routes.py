"""Blocks and contacts (Accounts 21-24, 29-34): the caller's own, nobody else's."""

from flask.views import MethodView

from uzbekhub.accounts import social_services
from uzbekhub.accounts.caller import current_user
from uzbekhub.accounts.schemas import (
    BlockCreateSchema,
    BlockSchema,
    ContactPatchSchema,
    ContactSchema,
)
from uzbekhub.common.pagination import ArrayArgsSchema
from uzbekhub.common.smorest import Blueprint

blp = Blueprint(
    "social", __name__, url_prefix="/api/accounts/account", description="Blocks and contacts"
)


@blp.route("/block/")
class BlockViews(MethodView):
    @blp.signed_in(200, BlockSchema(many=True), query=ArrayArgsSchema)
    def get(self, args):
        """Users the caller has blocked, latest first"""
        return social_services.blocks(current_user, args)

    @blp.signed_in(201, BlockSchema, json=BlockCreateSchema)
    def post(self, data):
        """Block a user: neither of you finds, sees or contacts the other any more"""
        return social_services.create_block(current_user, data["blocked_user"])


@blp.route("/block/<int:pk>/")
class BlockByUserViews(MethodView):
    @blp.signed_in(200, BlockSchema)
    def get(self, pk):
        """The caller's block of the user with id `pk`"""
        return social_services.block_of(current_user, pk)

    @blp.signed_in(204)
    def delete(self, pk):
        """Unblock the user with id `pk`"""
        social_services.delete_block(current_user, pk)


@blp.route("/contact/")
class ContactViews(MethodView):
    @blp.signed_in(200, ContactSchema(many=True), query=ArrayArgsSchema)
    def get(self, args):
        """The caller's contacts, latest first"""
        return social_services.contacts(current_user, args)

    @blp.signed_in(201, ContactSchema, json=ContactSchema)
    def post(self, data):
        """Add a user to the caller's contacts (lets them see the caller's phone)"""
        return social_services.add_contact(current_user, data)


@blp.route("/contact/<int:pk>/")
class ContactByIdViews(MethodView):
    @blp.signed_in(200, ContactSchema)
    def get(self, pk):
        """One of the caller's contacts"""
        return social_services.contact_of(current_user, pk)

    @blp.signed_in(200, ContactSchema, json=ContactSchema)
    def put(self, data, pk):
        """Replace a contact (`contact` required)"""
        return social_services.update_contact(current_user, pk, data)

    @blp.signed_in(200, ContactSchema, json=ContactPatchSchema)
    def patch(self, data, pk):
        """Change some fields of a contact"""
        return social_services.update_contact(current_user, pk, data)

    @blp.signed_in(204)
    def delete(self, pk):
        """Remove a contact"""
        social_services.delete_contact(current_user, pk)
