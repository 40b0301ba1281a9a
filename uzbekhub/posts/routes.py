"""Posts API (spec: Posts 1-14): the feed, posts, likes, comments and views."""

from flask.views import MethodView

from uzbekhub.accounts.caller import caller_state, current_user
from uzbekhub.common.json import json_response
from uzbekhub.common.media import stores_media
from uzbekhub.common.pagination import ArrayArgsSchema, PageArgsSchema, array_page, page_envelope
from uzbekhub.common.smorest import Blueprint
from uzbekhub.posts import services
from uzbekhub.posts.feed import feed_page
from uzbekhub.posts.models import PostComment, PostLike, PostView
from uzbekhub.posts.schemas import (
    CommentCreateSchema,
    CommentSchema,
    CommentUpdateSchema,
    LikeSchema,
    PostCreateSchema,
    PostPageSchema,
    PostQueryArgsSchema,
    PostRefSchema,
    PostSchema,
    PostUpdateSchema,
    ViewSchema,
)

blp = Blueprint("posts", __name__, url_prefix="/api/posts", description="Posts")

# Documented answers besides the schema's: objects hidden from the caller, and
# objects the caller sees but may not change (docs/rules.md).
forbidden = blp.answers(403, description="Not the owner")


@blp.route("/post/")
class PostViews(MethodView):
    @blp.signed_in(200, PostPageSchema, query=PostQueryArgsSchema)
    def get(self, args):
        """The feed: posts the caller may see, newest first"""
        return json_response(feed_page(caller_state().id, args.get("owner"), args))

    @blp.signed_in(201, PostSchema, body=PostCreateSchema)
    @stores_media
    def post(self, data):
        """Create a post: text, up to ten images, or both"""
        return services.create_post(current_user, data.get("content", ""), data["images"])


@blp.route("/post/myposts/")
class MyPostsView(MethodView):
    @blp.signed_in(200, PostPageSchema, query=PageArgsSchema)
    def get(self, args):
        """The caller's own posts, newest first, inactive ones included"""
        stmt = services.my_posts(current_user)
        return page_envelope(stmt, args, services.with_counts(current_user))


@blp.route("/post/<uuid:post_id>/")
class PostByIdViews(MethodView):
    @blp.signed_in(200, PostSchema)
    def get(self, post_id):
        """One post"""
        return services.get_post(current_user, post_id)

    @blp.signed_in(200, PostSchema, body=PostUpdateSchema)
    @forbidden
    @stores_media
    def patch(self, changes, post_id):
        """Edit a post's content, add images or remove them (owner only)"""
        return services.update_post(current_user, post_id, changes)

    @blp.signed_in(204)
    @forbidden
    def delete(self, post_id):
        """Delete a post with its likes, comments, views and images (owner or staff)"""
        services.delete_post(current_user, post_id)


@blp.route("/like/")
class LikeViews(MethodView):
    @blp.signed_in(201, LikeSchema, body=PostRefSchema)
    def post(self, data):
        """Like a post (once)"""
        return services.like_post(caller_state(), data["post"])


@blp.route("/like/<uuid:like_id>/")
class LikeByIdViews(MethodView):
    @blp.signed_in(204)
    @forbidden
    def delete(self, like_id):
        """Take back one's like"""
        services.unlike(current_user, like_id)


@blp.route("/<uuid:post_id>/likes/")
class PostLikesView(MethodView):
    @blp.signed_in(200, LikeSchema(many=True), query=ArrayArgsSchema)
    def get(self, args, post_id):
        """The likes of a post, newest first"""
        stmt = services.entries_of(current_user, PostLike, post_id)
        return array_page(stmt, args, services.with_owner(PostLike))


@blp.route("/comment/")
class CommentViews(MethodView):
    @blp.signed_in(201, CommentSchema, body=CommentCreateSchema)
    def post(self, data):
        """Comment on a post, or reply to a comment of the same post"""
        return services.add_comment(caller_state(), data)


@blp.route("/comment/<uuid:comment_id>/")
class CommentByIdViews(MethodView):
    @blp.signed_in(200, CommentSchema, body=CommentUpdateSchema)
    @forbidden
    def patch(self, data, comment_id):
        """Edit one's comment"""
        return services.edit_comment(current_user, comment_id, data["comment"])

    @blp.signed_in(204)
    @forbidden
    def delete(self, comment_id):
        """Delete a comment (its author or the post's owner)"""
        services.delete_comment(current_user, comment_id)


@blp.route("/<uuid:post_id>/comments/")
class PostCommentsView(MethodView):
    @blp.signed_in(200, CommentSchema(many=True), query=ArrayArgsSchema)
    def get(self, args, post_id):
        """The comments of a post, oldest first"""
        stmt = services.entries_of(current_user, PostComment, post_id)
        return array_page(stmt, args, services.with_owner(PostComment))


@blp.route("/views/")
class ViewViews(MethodView):
    @blp.signed_in(201, ViewSchema, body=PostRefSchema)
    def post(self, data):
        """Record that the caller has seen a post (once)"""
        return services.record_view(caller_state().id, data["post"])


@blp.route("/<uuid:post_id>/views/")
class PostViewsView(MethodView):
    @blp.signed_in(200, ViewSchema(many=True), query=ArrayArgsSchema)
    def get(self, args, post_id):
        """Who has seen a post, newest first"""
        stmt = services.entries_of(current_user, PostView, post_id)
        return array_page(stmt, args, services.with_owner(PostView))
