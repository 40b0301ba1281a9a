"""The caller's location (Accounts 17-19), which the nearby search measures from."""

from flask.views import MethodView

from uzbekhub.accounts import location_services
from uzbekhub.accounts.caller import current_user
from uzbekhub.accounts.schemas import LocationPatchSchema, LocationSchema
from uzbekhub.common.ratelimit import per_user, throttle
from uzbekhub.common.smorest import Blueprint

blp = Blueprint("location", __name__, url_prefix="/api/accounts/account", description="Location")

# One budget per caller for setting and moving their location.
location_budget = throttle("location", key_func=per_user)


@blp.route("/location/")
class LocationViews(MethodView):
    @blp.signed_in(
        201,
        LocationSchema,
        description="The location was created",
        checks=[location_budget],
        body=LocationSchema,
    )
    @blp.alt_response(200, schema=LocationSchema, description="The location was moved")
    def post(self, data):
        """Set the caller's location (201), or move it (200, it keeps its id); names come from
        reverse geocoding"""
        location, created = location_services.set_location(current_user, data["lat"], data["long"])
        return location, 201 if created else 200

    @blp.signed_in(200, LocationSchema, checks=[location_budget], body=LocationSchema)
    @blp.answers(404)
    def put(self, data):
        """Move the caller's location (it keeps its id)"""
        return location_services.update_location(current_user, data)

    @blp.signed_in(
        200,
        LocationSchema,
        checks=[location_budget],
        body=LocationPatchSchema,
    )
    @blp.answers(404)
    def patch(self, changes):
        """Move the caller's location, changing `lat`, `long` or both (it keeps its id)"""
        return location_services.update_location(current_user, changes)

    @blp.signed_in(204)
    @blp.answers(404)
    def delete(self):
        """Remove the caller's location"""
        location_services.delete_location(current_user)
