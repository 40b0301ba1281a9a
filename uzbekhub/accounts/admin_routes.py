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
    @blp.staff_required
    @blp.arguments(ArrayArgsSchema, location="query")
    @blp.response(200, AdminUserSchema(many=True))
    def get(self, args):
        """Every user, oldest account first"""
        return admin_services.users(args)


@blp.route("/user/<int:pk>/")
class AdminUserByIdViews(MethodView):
    @blp.staff_required
    @blp.response(200, AdminUserSchema)
    def get(self, pk):
        """One user, email included"""
        return admin_services.user(pk)

    @blp.staff_required
    @blp.response(204)
    @blp.answers(403, description="Staff users cannot be deleted through the API")
    def delete(self, pk):
        """Delete a non-staff user for good (403 for staff users)"""
        admin_services.delete(pk)
