"""The rules of posts: who sees a post and what hangs off it, who changes what.

A post is visible to the caller when the caller owns it, or when it is active and
its owner is visible to the caller (uzbekhub.accounts.visibility). Likes,
comments and views are seen on visible posts only, and, except by the post's
owner, not those of users blocked either way with the caller.
"""

import uuid
from collections.abc import Sequence
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import User
from uzbekhub.accounts.user_rows import BRIEF_ATTRIBUTES
from uzbekhub.accounts.visibility import (
    SeenUser,
    blocked_between,
    is_blocked,
    public_user,
    seen_unlike_the_public,
    visible_user,
)
from uzbekhub.common.db import (
    UTCDateTime,
    UUIDType,
    dialect_name,
    insert_with_conflicts,
    new_uuid,
    utcnow,
)
from uzbekhub.common.media import (
    clean_image,
    delete_after_success,
    keep_created_files,
    read_upload,
    store,
)
from uzbekhub.common.pagination import Fetch
from uzbekhub.common.quota import require_room
from uzbekhub.errors import NON_FIELD, Forbidden, invalid
from uzbekhub.extensions import db
from uzbekhub.notifications import hooks as notifications
from uzbekhub.posts.models import (
    IMAGES_MAX,
    Post,
    PostComment,
    PostCount,
    PostImage,
    PostLike,
    PostView,
    PublicPostTotal,
)
from uzbekhub.posts.schemas import NOTHING_TO_POST

IMAGE_FOLDER = "posts/images"
Tally = type[PostLike] | type[PostView]
Entry = Tally | type[PostComment]


def does_not_exist(value) -> str:
    return f'Invalid pk "{value}" - object does not exist.'


# --- who sees what ---------------------------------------------------------------------------


def visible_post(caller_id: int) -> ColumnElement[bool]:
    """Posts the caller may see; the statement must join the post's owner (`User`)."""
    return or_(
        Post.owner_id == caller_id,
        and_(Post.is_active == true(), visible_user(caller_id, User)),
    )


def visible_posts(caller_id: int) -> Select:
    return select(Post).join(Post.owner).where(visible_post(caller_id))


def of_visible_post(caller_id: int, post_id: uuid.UUID, *columns) -> Select:
    """`columns` (of `Post` among them) of the post if the caller may see it, else no row."""
    return select(*columns).join(Post.owner).where(Post.id == post_id, visible_post(caller_id))


def can_see_post(caller_id: int, post_id: uuid.UUID) -> bool:
    return bool(db.session.scalar(select(of_visible_post(caller_id, post_id, Post.id).exists())))


def post_or_404(caller_id: int, post_id: uuid.UUID) -> Post:
    post = db.first_or_404(visible_posts(caller_id).where(Post.id == post_id))
    return post


def post_named_in_body(caller_id: int, post_id: uuid.UUID) -> Row:
    """The id and owner of the post a comment names: 400 on `post` if the caller can't see
    it."""
    post = db.session.execute(of_visible_post(caller_id, post_id, Post.id, Post.owner_id)).first()
    if post is None:
        raise invalid("post", does_not_exist(post_id))
    return post


def visible_entry_owner(caller_id: int, post_owner_id: int) -> ColumnElement[bool]:
    """Whose likes, comments and views on a visible post the caller sees (owner joined as User).

    The post's owner sees everything on their post, so that they can moderate it.
    """
    if post_owner_id == caller_id:
        return true()
    return or_(
        User.id == caller_id,
        and_(User.is_active == true(), not_(blocked_between(User.id, caller_id))),
    )


def sees_entry_of(caller_id: int, post_owner_id: int, entry_owner_id: int) -> bool:
    if caller_id in (post_owner_id, entry_owner_id):
        return True
    owner = db.session.get(User, entry_owner_id)
    return owner is not None and owner.is_active and not is_blocked(owner.id, caller_id)


# --- posts -----------------------------------------------------------------------------------


def newest_first(stmt: Select) -> Select:
    return stmt.order_by(Post.created_at.desc(), Post.id.desc())


def in_feed(caller_id, owner_id=None) -> ColumnElement[bool]:
    """The feed: active posts the caller may see, optionally of one owner (owner joined as
    `User`). Either id may be a bound parameter, for statements built once."""
    clause = and_(Post.is_active == true(), visible_post(caller_id))
    if owner_id is not None:
        clause = and_(clause, Post.owner_id == owner_id)
    return clause


def feed_total(caller_id, owner_id=None) -> Select:
    """The feed's `count`: the kept active-post counts of the owners the caller may see.

    Equal to counting `in_feed`, whose posts are the active posts of visible owners. For
    the whole feed it is the kept total of public owners corrected by the few users the
    caller sees unlike the public, so its cost follows the caller's contacts and blocks,
    not the number of users or posts.
    """
    if owner_id is not None:
        return (
            select(func.coalesce(func.sum(PostCount.active_posts), 0))
            .join(User, User.id == PostCount.owner_id)
            .where(PostCount.owner_id == owner_id, visible_user(caller_id, User))
        )
    public_total = select(func.coalesce(func.sum(PublicPostTotal.active_posts), 0))
    posts = PostCount.active_posts
    correction = (
        select(
            func.coalesce(
                func.sum(
                    case((visible_user(caller_id, User), posts), else_=0)
                    - case((public_user(User), posts), else_=0)
                ),
                0,
            )
        )
        .join(User, User.id == PostCount.owner_id)
        .where(PostCount.owner_id.in_(seen_unlike_the_public(caller_id)))
    )
    return select(public_total.scalar_subquery() + correction.scalar_subquery())


def my_posts(caller: User) -> Select:
    """All of the caller's posts, inactive ones included."""
    return newest_first(select(Post).join(Post.owner).where(Post.owner_id == caller.id))


def entry_count(model: Entry) -> ColumnElement[int]:
    return (
        select(func.count())
        .select_from(model)
        .where(model.post_id == Post.id)
        .correlate(Post)
        .scalar_subquery()
    )


def liked_by(caller_id) -> ColumnElement[bool]:
    return exists().where(PostLike.post_id == Post.id, PostLike.owner_id == caller_id)


def with_counts(caller: User) -> Fetch:
    """Load posts with owner, images, counts and `is_liked`: three statements for any page."""

    def fetch(stmt: Select) -> Sequence[Post]:
        stmt = stmt.add_columns(
            entry_count(PostLike),
            entry_count(PostComment),
            entry_count(PostView),
            liked_by(caller.id),
        ).options(contains_eager(Post.owner), selectinload(Post.images))
        posts = []
        for post, likes, comments, views, is_liked in db.session.execute(stmt):
            post.like_count, post.comment_count, post.view_count = likes, comments, views
            post.is_liked = bool(is_liked)
            posts.append(post)
        return posts

    return fetch


def get_post(caller: User, post_id: uuid.UUID) -> Post:
    """One visible post as the API shows it, or 404."""
    found = with_counts(caller)(visible_posts(caller.id).where(Post.id == post_id))
    if not found:
        raise NotFound()
    return found[0]


def _post_to_change(caller: User, post_id: uuid.UUID, *, staff_may: bool = False) -> Post:
    """The post if the caller may change it; 403 if they only see it, 404 otherwise."""
    post = db.first_or_404(
        select(Post).where(Post.id == post_id).with_for_update().options(selectinload(Post.images))
    )
    if post.owner_id == caller.id or (staff_may and caller.is_staff):
        return post
    if can_see_post(caller.id, post.id):
        raise Forbidden()
    raise NotFound()


def _stored_images(
    owner_id: int, uploads: list[FileStorage], first_position: int
) -> list[PostImage]:
    """The uploads cleaned, counted against the owner's media quota, then stored."""
    cleaned = [clean_image(read_upload(upload, "images"), "images") for upload in uploads]
    if cleaned:
        require_room(owner_id, sum(len(data) for data, _ in cleaned))
    return [
        PostImage(
            id=new_uuid(),
            image=store(data, IMAGE_FOLDER, ext),
            file_size=len(data),
            position=first_position + offset,
        )
        for offset, (data, ext) in enumerate(cleaned)
    ]


def create_post(caller: User, content: str, uploads: list[FileStorage]) -> Post:
    post = Post(id=new_uuid(), owner_id=caller.id, content=content)
    post.images = _stored_images(caller.id, uploads, 0)
    db.session.add(post)
    notifications.post_written(caller, post)
    db.session.commit()
    keep_created_files()
    return get_post(caller, post.id)


def update_post(caller: User, post_id: uuid.UUID, changes: dict) -> Post:
    """Edit content, add images and remove images; only the owner may."""
    post = _post_to_change(caller, post_id)
    current = {image.id: image for image in post.images}
    removing = set(changes.get("remove_images", ()))
    unknown = [str(image_id) for image_id in removing if image_id not in current]
    if unknown:
        raise invalid("remove_images", does_not_exist(", ".join(sorted(unknown))))
    adding = changes.get("images", [])
    kept = len(current) - len(removing)
    if kept + len(adding) > IMAGES_MAX:
        raise invalid("images", f"A post may have at most {IMAGES_MAX} images.")
    content = changes.get("content", post.content)
    if not content and kept + len(adding) == 0:
        raise invalid("content", NOTHING_TO_POST)

    before = post.content
    next_position = max((image.position for image in post.images), default=-1) + 1
    for image_id in removing:
        delete_after_success(current[image_id].image)
        post.images.remove(current[image_id])
    post.images.extend(_stored_images(caller.id, adding, next_position))
    post.content = content
    post.is_edited = True
    post.updated_at = utcnow()
    notifications.post_written(caller, post, before)
    db.session.commit()
    keep_created_files()
    return get_post(caller, post.id)


def delete_post(caller: User, post_id: uuid.UUID) -> None:
    """The owner or staff delete a post, with everything on it and its stored images."""
    post = _post_to_change(caller, post_id, staff_may=True)
    for image in post.images:
        delete_after_success(image.image)
    notifications.post_deleted(post.id)
    db.session.execute(delete(Post).where(Post.id == post.id))
    db.session.commit()


# --- likes, comments, views ------------------------------------------------------------------


def entries_of(caller: User, model: Entry, post_id: uuid.UUID) -> Select:
    """The likes, comments or views of a visible post that the caller sees (404 otherwise).

    Comments read oldest first, as a conversation; likes and views newest first.
    """
    post = post_or_404(caller.id, post_id)
    stmt = (
        select(model)
        .join(model.owner)
        .where(model.post_id == post.id, visible_entry_owner(caller.id, post.owner_id))
    )
    if model is PostComment:
        return stmt.order_by(model.created_at, model.id)
    return stmt.order_by(model.created_at.desc(), model.id.desc())


def with_owner(model: Entry) -> Fetch:
    def fetch(stmt: Select) -> Sequence:
        return db.session.scalars(stmt.options(contains_eager(model.owner))).all()

    return fetch


def _load_entry(model: Entry, entry_id: uuid.UUID):
    """The entry as the API answers it: its owner's brief, not their whole row."""
    return db.session.scalar(_entry_answer(model), {"entry_id": entry_id})


@cache
def _entry_answer(model: Entry) -> Select:
    """Built once per kind of entry: likes and views answer every write with it."""
    return (
        select(model)
        .join(model.owner)
        .where(model.id == bindparam("entry_id"))
        .options(contains_eager(model.owner).load_only(*BRIEF_ATTRIBUTES))
        .execution_options(populate_existing=True)
    )


def _entry_to_change(model: Entry, caller: User, entry_id: uuid.UUID, *, post_owner_may=False):
    """The entry if the caller may change it; 403 if they only see it, 404 otherwise."""
    entry = db.get_or_404(model, entry_id)
    post = post_or_404(caller.id, entry.post_id)
    if entry.owner_id == caller.id or (post_owner_may and post.owner_id == caller.id):
        return entry
    if sees_entry_of(caller.id, post.owner_id, entry.owner_id):
        raise Forbidden()
    raise NotFound()


def _record_once(model: Tally, caller_id: int, post_id: uuid.UUID, duplicate: str, then=None):
    """Likes and views are unique per user and post. One statement writes the entry if the
    caller may see the post, and the unique constraint refuses a duplicate (concurrent ones
    alike) without a savepoint; only a refusal costs a look at why. `then()` runs in the same
    transaction, after the entry is written."""
    entry_id = new_uuid()
    params = {"entry_id": entry_id, "caller_id": caller_id, "post": post_id, "at": utcnow()}
    try:
        written = db.session.scalar(_recording(model, dialect_name()), params)
    except IntegrityError:  # the post was deleted after the statement read it
        db.session.rollback()
        raise invalid("post", does_not_exist(post_id)) from None
    if written is None:
        _refuse_entry(model, caller_id, post_id, duplicate)
    if then is not None:
        then()
    db.session.commit()
    return _load_entry(model, entry_id)


@cache
def _recording(model: Tally, dialect: str) -> Insert:
    """`_record_once`'s statement, built once per table and dialect: the entry, caller,
    post and time are bound parameters (named unlike the table's columns, which an INSERT
    would take them for). On the table, not the model: the session runs an ORM insert given
    parameters as a bulk insert of them."""
    caller_id = bindparam("caller_id", type_=Integer)
    entry = of_visible_post(
        caller_id,
        bindparam("post", type_=UUIDType),
        bindparam("entry_id", type_=UUIDType),
        caller_id,
        Post.id,
        bindparam("at", type_=UTCDateTime()),
    )
    return (
        insert_with_conflicts(model.__table__, dialect)
        .from_select(("id", "owner_id", "post_id", "created_at"), entry)
        .on_conflict_do_nothing()
        .returning(model.__table__.c.id)
    )


def _refuse_entry(model: Tally, caller_id: int, post_id: uuid.UUID, duplicate: str) -> None:
    """Why `_record_once` wrote nothing: the caller may not see the post, or already has one."""
    taken = exists().where(model.post_id == post_id, model.owner_id == caller_id)
    visible = of_visible_post(caller_id, post_id, Post.id).exists()
    seen, already = db.session.execute(select(visible, taken)).one()
    if seen and already:
        raise invalid(NON_FIELD, duplicate)
    raise invalid("post", does_not_exist(post_id))


def like_post(caller: SeenUser, post_id: uuid.UUID) -> PostLike:
    return _record_once(
        PostLike,
        caller.id,
        post_id,
        "You have already liked this post.",
        then=lambda: notifications.post_liked(caller, post_id),
    )


def unlike(caller: User, like_id: uuid.UUID) -> None:
    like = _entry_to_change(PostLike, caller, like_id)
    notifications.post_unliked(like)
    db.session.delete(like)
    db.session.commit()


def record_view(caller_id: int, post_id: uuid.UUID) -> PostView:
    return _record_once(PostView, caller_id, post_id, "You have already viewed this post.")


def _check_reply_target(caller_id: int, post: Row, reply_to: uuid.UUID) -> None:
    row = db.session.execute(
        select(PostComment, Post.owner_id)
        .join(Post, PostComment.post_id == Post.id)
        .join(Post.owner)
        .where(PostComment.id == reply_to, visible_post(caller_id))
    ).first()
    if row is None or not sees_entry_of(caller_id, row.owner_id, row.PostComment.owner_id):
        raise invalid("reply_to", does_not_exist(reply_to))
    if row.PostComment.post_id != post.id:
        raise invalid("reply_to", "A reply must answer a comment of the same post.")


def add_comment(caller: SeenUser, data: dict) -> PostComment:
    post = post_named_in_body(caller.id, data["post"])
    if data["reply_to"] is not None:
        _check_reply_target(caller.id, post, data["reply_to"])
    comment = PostComment(
        id=new_uuid(),
        owner_id=caller.id,
        post_id=post.id,
        comment=data["comment"],
        reply_to_id=data["reply_to"],
    )
    db.session.add(comment)
    notifications.commented(caller, post, comment)
    db.session.commit()
    return _load_entry(PostComment, comment.id)


def edit_comment(caller: User, comment_id: uuid.UUID, text: str) -> PostComment:
    comment = _entry_to_change(PostComment, caller, comment_id)
    before = comment.comment
    comment.comment = text
    comment.is_edited = True
    comment.updated_at = utcnow()
    notifications.comment_edited(caller, comment, before)
    db.session.commit()
    return _load_entry(PostComment, comment.id)


def delete_comment(caller: User, comment_id: uuid.UUID) -> None:
    """The comment's author or the post's owner delete it; its replies stay, answering nothing."""
    comment = _entry_to_change(PostComment, caller, comment_id, post_owner_may=True)
    notifications.comment_deleted(comment)
    db.session.execute(
        update(PostComment).where(PostComment.reply_to_id == comment.id).values(reply_to_id=None)
    )
    db.session.delete(comment)
    db.session.commit()


def media_bytes(user_id: int) -> Select:
    """The bytes of the user's post images (for the media quota)."""
    return (
        select(func.coalesce(func.sum(PostImage.file_size), 0))
        .join(Post, Post.id == PostImage.post_id)
        .where(Post.owner_id == user_id)
    )


def remove_files_of_user(user_id: int) -> None:
    """Account deletion: the user's post images go once the deletion has committed."""
    paths = db.session.scalars(
        select(PostImage.image)
        .join(Post, Post.id == PostImage.post_id)
        .where(Post.owner_id == user_id)
    )
    for path in paths:
        delete_after_success(path)
