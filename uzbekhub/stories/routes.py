"""Stories API (spec: Stories 1-13) and the owner's list of viewers."""

from flask.views import MethodView

from uzbekhub.accounts.caller import current_user
from uzbekhub.common.media import stores_media
from uzbekhub.common.pagination import ArrayArgsSchema, array_page
from uzbekhub.common.smorest import Blueprint
from uzbekhub.stories import services
from uzbekhub.stories.schemas import (
    ReactionSchema,
    ReactionUpdateSchema,
    StoryCreateSchema,
    StorySchema,
    StoryUpdateSchema,
    StoryViewRequestSchema,
    StoryViewSchema,
    ViewerSchema,
)

blp = Blueprint("stories", __name__, url_prefix="/api/stories", description="Stories")

not_owner = blp.answers(403, description="Not the owner's to change")
story_not_found = blp.answers(
    404, description="The story does not exist, expired or is not visible"
)


@blp.route("/active/")
class ActiveStoryViews(MethodView):
    @blp.signed_in(200, StorySchema(many=True), query=ArrayArgsSchema)
    def get(self, args):
        """The caller's active stories, oldest first"""
        stmt = services.own_active_stories(current_user)
        return array_page(stmt, args, services.fetch_stories)

    @blp.signed_in(201, StorySchema, multipart=StoryCreateSchema)
    @stores_media
    def post(self, data):
        """Create a story from an image or a video (mp4, webm, mov)"""
        return services.create_story(
            current_user, data["media"], data["caption"], data["audience"], data["marked"]
        )


@blp.route("/active/<int:story_id>/")
class ActiveStoryByIdViews(MethodView):
    @blp.signed_in(200, StorySchema)
    def get(self, story_id):
        """An active story the caller may see"""
        return services.visible_active_story(current_user, story_id)

    @blp.signed_in(200, StorySchema, body=StoryUpdateSchema)
    @not_owner
    def patch(self, data, story_id):
        """Change the caption, audience or marked users of the caller's active story"""
        return services.update_story(current_user, story_id, data)

    @blp.signed_in(204)
    @not_owner
    def delete(self, story_id):
        """Delete the caller's active story"""
        services.delete_active_story(current_user, story_id)


@blp.route("/active/<int:user_id>/stories/")
class UserStoryViews(MethodView):
    @blp.signed_in(200, StorySchema(many=True), query=ArrayArgsSchema)
    def get(self, args, user_id):
        """A user's active stories that the caller may see, oldest first"""
        stmt = services.user_active_stories(current_user, user_id)
        return array_page(stmt, args, services.fetch_stories)


@blp.route("/active/<int:story_id>/viewers/")
class ActiveStoryViewerViews(MethodView):
    @blp.signed_in(200, ViewerSchema(many=True), query=ArrayArgsSchema)
    def get(self, args, story_id):
        """Who viewed the caller's active story, when, and their reaction (owner only)"""
        stmt = services.story_viewers(current_user, story_id, active=True)
        return array_page(stmt, args, services.fetch_viewers)


@blp.route("/archive/")
class ArchiveViews(MethodView):
    @blp.signed_in(200, StorySchema(many=True), query=ArrayArgsSchema)
    def get(self, args):
        """The caller's expired stories, newest first"""
        return array_page(services.archived_stories(current_user), args, services.fetch_stories)


@blp.route("/archive/<int:pk>/")
class ArchiveByIdViews(MethodView):
    @blp.signed_in(200, StorySchema)
    def get(self, pk):
        """One of the caller's expired stories"""
        return services.owned_story(current_user, pk, active=False)

    @blp.signed_in(204)
    def delete(self, pk):
        """Delete one of the caller's expired stories for good"""
        services.delete_archived_story(current_user, pk)


@blp.route("/archive/<int:pk>/viewers/")
class ArchiveViewerViews(MethodView):
    @blp.signed_in(200, ViewerSchema(many=True), query=ArrayArgsSchema)
    def get(self, args, pk):
        """Who viewed the caller's expired story, when, and their reaction"""
        stmt = services.story_viewers(current_user, pk, active=False)
        return array_page(stmt, args, services.fetch_viewers)


@blp.route("/reaction/")
class ReactionViews(MethodView):
    @blp.signed_in(201, ReactionSchema, body=ReactionSchema)
    @story_not_found
    def post(self, data):
        """React to a story the caller may see (once per story)"""
        return services.react(current_user, data["story_id"], data["reaction"])


@blp.route("/reaction/<int:reaction_id>/")
class ReactionByIdViews(MethodView):
    @blp.signed_in(200, ReactionSchema, body=ReactionUpdateSchema)
    @not_owner
    def patch(self, data, reaction_id):
        """Change the caller's reaction"""
        return services.update_reaction(current_user, reaction_id, data["reaction"])

    @blp.signed_in(204)
    @not_owner
    def delete(self, reaction_id):
        """Take the caller's reaction back"""
        services.delete_reaction(current_user, reaction_id)


@blp.route("/viewed/")
class ViewedViews(MethodView):
    @blp.signed_in(201, StoryViewSchema, body=StoryViewRequestSchema)
    @story_not_found
    def post(self, data):
        """Mark a story as viewed by the caller (a `viewer` in the body is ignored)"""
        return services.record_view(current_user, data["story"])
