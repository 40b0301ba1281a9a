"""Staff only: users (Accounts 35-37)."""

from flask.views import MethodView

from uzbekhub.accounts import admin_services
from uzbekhub.accounts.schemas import AdminUserSchema
from uzbekhub.common.pagination import ArrayArgsSchema
from uzbekhub.common.smorest import Blueprint

blp = Blueprint(
    "account_admin", __name__, url_prefix="/api/accounts/admin", description="Staff: users"
)


@blp.route("/user/")
class AdminUserViews(MethodView):
    @blp.signed_in(200, AdminUserSchema(many=True), staff=True, query=ArrayArgsSchema)
    def get(self, args):
        """Every user, oldest account first"""
        return admin_services.users(args)


@blp.route("/user/<int:pk>/")
class AdminUserByIdViews(MethodView):
    @blp.signed_in(200, AdminUserSchema, staff=True)
    def get(self, pk):
        """One user, email included"""
        return admin_services.user(pk)

    @blp.signed_in(204, staff=True)
    @blp.answers(403, description="Staff users cannot be deleted through the API")
    def delete(self, pk):
        """Delete a non-staff user for good (403 for staff users)"""
        admin_services.delete(pk)
