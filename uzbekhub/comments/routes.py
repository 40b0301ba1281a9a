"""Public comments (spec: Notifications API): no account needed, throttled per client."""

from uzbekhub.comments import services
from uzbekhub.comments.schemas import PublicCommentSchema
from uzbekhub.common.pagination import ArrayArgsSchema, array_page
from uzbekhub.common.ratelimit import throttle
from uzbekhub.common.smorest import Blueprint

blp = Blueprint(
    "comments", __name__, url_prefix="/api/comments", description="Public comments (no account)"
)

# The spec's URL has no trailing slash (clients that add one are answered too, like everywhere).
COMMENTS_URL = "/comment"


@blp.route(COMMENTS_URL, methods=["GET"])
@blp.arguments(ArrayArgsSchema, location="query")
@blp.response(200, PublicCommentSchema(many=True))
def list_comments(args):
    """All comments, newest first"""
    return array_page(services.newest_comments(), args)


@blp.route(COMMENTS_URL, methods=["POST"])
@throttle("comments")
@blp.arguments(PublicCommentSchema)
@blp.response(201, PublicCommentSchema)
def create_comment(data):
    """Leave a comment of 1-600 characters"""
    return services.create_comment(data["content"])
