"""The caller's location and the nearby search (Accounts 17-20)."""

from flask.views import MethodView
from flask_jwt_extended import current_user

from uzbekhub.accounts import discovery_services, location_services
from uzbekhub.accounts.route_docs import NOT_FOUND
from uzbekhub.accounts.schemas import LocationSchema, NearbyPathSchema, NearbyUserSchema
from uzbekhub.common.pagination import ArrayArgsSchema
from uzbekhub.common.ratelimit import per_user, throttle
from uzbekhub.common.smorest import Blueprint

blp = Blueprint("location", __name__, url_prefix="/api/accounts/account", description="Location")


@blp.route("/location/")
class LocationViews(MethodView):
    @blp.login_required
    @throttle("location", key_func=per_user)
    @blp.arguments(LocationSchema, location="body")
    @blp.response(201, LocationSchema)
    def post(self, data):
        """Set the caller's location; country, city etc. come from reverse geocoding"""
        return location_services.create_location(current_user, data["lat"], data["long"])

    @blp.login_required
    @throttle("location", key_func=per_user)
    @blp.arguments(LocationSchema, location="body")
    @blp.response(200, LocationSchema)
    @blp.doc(responses=NOT_FOUND)
    def put(self, data):
        """Move the caller's location (it keeps its id)"""
        return location_services.update_location(current_user, data["lat"], data["long"])

    @blp.login_required
    @blp.response(204)
    @blp.doc(responses=NOT_FOUND)
    def delete(self):
        """Remove the caller's location"""
        location_services.delete_location(current_user)


@blp.route("/location/<string:distance>/", methods=["GET"])
@blp.login_required
@throttle("nearby", key_func=per_user)
@blp.arguments(NearbyPathSchema, location="path")
@blp.arguments(ArrayArgsSchema, location="query")
@blp.response(200, NearbyUserSchema(many=True))
def nearby(path, args, distance):
    """Users within `distance` km (at most 100) of the caller, nearest first"""
    return discovery_services.nearby(current_user, path["distance"], args)
