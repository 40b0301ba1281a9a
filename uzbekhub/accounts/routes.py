"""The caller's account: profile (more endpoints arrive with the accounts issue)."""

from flask.views import MethodView
from flask_jwt_extended import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from uzbekhub.accounts.models import User
from uzbekhub.accounts.schemas import ProfileSchema
from uzbekhub.common.smorest import Blueprint
from uzbekhub.extensions import db

blp = Blueprint("account", __name__, url_prefix="/api/accounts/account", description="Accounts")


def load_profile(user_id: int) -> User:
    return db.session.scalar(
        select(User)
        .where(User.id == user_id)
        .options(selectinload(User.location), selectinload(User.status))
    )


@blp.route("/profile/")
class ProfileView(MethodView):
    @blp.login_required
    @blp.response(200, ProfileSchema)
    def get(self):
        """The caller's own profile"""
        return load_profile(current_user.id)
