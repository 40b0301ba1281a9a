"""The feed page (GET /api/posts/post/), the API's hottest read, straight to JSON.

One statement besides the caller's token: the page's posts with their owner, counts,
`is_liked`, images (a JSON array per post) and the feed's total riding along; only a page
past the end, which has no row to carry the total, reads it apart. The statement selects
the columns the answer shows, never ORM entities, and is built once with the caller, owner
and page as bound parameters. The rows are shaped as PostSchema dumps a post
(tests/posts/test_feed_contract.py holds them to it); who sees which post is
`services.in_feed`, as everywhere.
"""

import uuid
from functools import cache

from sqlalchemy import Select, bindparam, select

from uzbekhub.accounts.models import User
from uzbekhub.accounts.user_rows import BRIEF_COLUMNS, brief_of
from uzbekhub.common.db import json_datetime, json_rows
from uzbekhub.common.media import media_url_or_none
from uzbekhub.common.pagination import page_envelope_of, page_window
from uzbekhub.common.reads import named_rows, untransacted
from uzbekhub.posts.models import Post, PostComment, PostImage, PostLike, PostView
from uzbekhub.posts.services import entry_count, feed_total, in_feed, liked_by, newest_first


@cache
def _page(by_owner: bool) -> Select:
    caller_id = bindparam("caller_id")
    owner_id = bindparam("owner_id") if by_owner else None
    images = (
        select(json_rows(PostImage.position, PostImage.id, PostImage.image, PostImage.created_at))
        .where(PostImage.post_id == Post.id)
        .scalar_subquery()
    )
    stmt = (
        select(
            Post.id,
            Post.content,
            Post.is_active,
            Post.is_edited,
            Post.created_at,
            Post.updated_at,
            *BRIEF_COLUMNS,
            entry_count(PostLike).label("like_count"),
            entry_count(PostComment).label("comment_count"),
            entry_count(PostView).label("view_count"),
            liked_by(caller_id).label("is_liked"),
            images.label("images"),
            feed_total(caller_id, owner_id).scalar_subquery().label("total"),
        )
        .join(User, User.id == Post.owner_id)
        .where(in_feed(caller_id, owner_id))
    )
    return newest_first(stmt).limit(bindparam("limit")).offset(bindparam("offset"))


@cache
def _total(by_owner: bool) -> Select:
    return feed_total(bindparam("caller_id"), bindparam("owner_id") if by_owner else None)


def feed_page(caller_id: int, owner_id: int | None, args: dict) -> dict:
    """The page-number envelope of the feed page `args` asks for, ready for JSON."""
    limit, offset = page_window(args)
    params = {"caller_id": caller_id, "owner_id": owner_id, "limit": limit, "offset": offset}
    by_owner = owner_id is not None
    with untransacted() as reader:
        rows = named_rows(reader.execute(_page(by_owner), params))
        total = rows[0].total if rows else reader.scalar(_total(by_owner), params)
    return page_envelope_of(args, total, [_post(row) for row in rows])


def _images(elements: list[list]) -> list[dict]:
    """PostImageSchema's dumps of a post's `json_rows` of images, in their position order."""
    return [
        {
            "id": uuid.UUID(image_id),
            "image": media_url_or_none(path),
            "created_at": json_datetime(created_at),
        }
        for _, image_id, path, created_at in sorted(elements)
    ]


def _post(row) -> dict:
    return {
        "id": row.id,
        "content": row.content,
        "owner": brief_of(row),
        "images": _images(row.images),
        "is_active": row.is_active,
        "is_edited": row.is_edited,
        "like_count": row.like_count,
        "comment_count": row.comment_count,
        "view_count": row.view_count,
        "is_liked": bool(row.is_liked),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
