"""Finding other users: search, profile by id, public profile by username, and nearby
(Accounts 20, measured from the location the location routes keep).

They ask only the caller's id and staff flag, from the token's cached state: the caller's
`User` row is never loaded (one statement less on each)."""

from uzbekhub.accounts import discovery_services
from uzbekhub.accounts.caller import caller_state, verify_access
from uzbekhub.accounts.schemas import (
    NearbyPathSchema,
    NearbyUserSchema,
    PublicProfileSchema,
    SearchPathSchema,
    UserSchema,
)
from uzbekhub.common.json import json_response
from uzbekhub.common.pagination import ArrayArgsSchema
from uzbekhub.common.ratelimit import per_user, throttle
from uzbekhub.common.smorest import Blueprint

blp = Blueprint(
    "discovery", __name__, url_prefix="/api/accounts/account", description="Finding users"
)


@blp.route("/search/<string:key>/", methods=["GET"])
@throttle("profile_search")
@blp.signed_in(200, UserSchema(many=True), path=SearchPathSchema, query=ArrayArgsSchema)
def search(path, args, key):
    """Users whose username, first or last name contains the key (private ones never)"""
    return json_response(*discovery_services.search(caller_state(), path["key"], args))


@blp.route("/user/<int:pk>/", methods=["GET"])
@blp.signed_in(200, UserSchema)
def user_by_id(pk):
    """A user the caller may see: 404 if blocked either way, or private and not a contact"""
    return json_response(discovery_services.user_by_id(caller_state(), pk))


@blp.route("/profile/<string:username>/", methods=["GET"])
@throttle("public_profile")
@blp.doc(security=[{}, {"bearerAuth": []}])
@blp.response(200, PublicProfileSchema)
@blp.answers(401, description="A token was sent and is bad")
def public_profile(username):
    """A public account by username, without signing in (a token, if sent, applies blocks)"""
    caller = verify_access(optional=True)
    return discovery_services.public_profile(username, caller.id if caller else None)


@blp.route("/location/<string:distance>/", methods=["GET"])
@blp.signed_in(
    200,
    NearbyUserSchema(many=True),
    checks=[throttle("nearby", key_func=per_user)],
    path=NearbyPathSchema,
    query=ArrayArgsSchema,
)
def nearby(path, args, distance):
    """Users within `distance` km (at most 100) of the caller, nearest first"""
    return json_response(*discovery_services.nearby(caller_state(), path["distance"], args))
