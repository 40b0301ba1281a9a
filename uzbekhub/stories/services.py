"""Story rules (docs/rules.md): who sees a story, expiry, marks, views and reactions."""

from collections.abc import Iterable, Sequence

import filetype
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    exists,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased, joinedload, selectinload
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from uzbekhub.accounts.models import User
from uzbekhub.accounts.visibility import blocked_between, has_added_contact, visible_user
from uzbekhub.common.db import insert_once, utcnow
from uzbekhub.common.media import (
    clean_image,
    delete_after_success,
    detect_video,
    read_upload,
    store,
)
from uzbekhub.common.quota import require_room
from uzbekhub.errors import Forbidden, invalid
from uzbekhub.extensions import db
from uzbekhub.notifications import hooks as notifications
from uzbekhub.stories.models import Story, StoryMark, StoryReaction, StoryView

MEDIA_FOLDER = "stories"
NOT_MEDIA = "Upload an image (JPEG, PNG, GIF or WebP) or a video (MP4, WebM or MOV)."


# --- who sees a story ----------------------------------------------------------------------------


def visible_story(caller_id: int) -> ColumnElement[bool]:
    """THE audience rule, as an SQL condition on Story: the stories the caller may see.

    The owner always. Anyone else only if they may see the owner (active, not
    blocked either way, public or having added the caller as a contact: see
    accounts.visibility) and the audience admits them: `public` anyone,
    `contact` the users the owner has added as contacts, `marked` the users
    marked on the story. Expiry is a separate condition (`Story.is_active`).
    """
    owner = aliased(User)
    audience_admits = or_(
        Story.audience == "public",
        and_(Story.audience == "contact", has_added_contact(Story.owner_id, caller_id)),
        and_(
            Story.audience == "marked",
            exists().where(StoryMark.story_id == Story.id, StoryMark.user_id == caller_id),
        ),
    )
    return or_(
        Story.owner_id == caller_id,
        and_(
            exists().where(owner.id == Story.owner_id, visible_user(caller_id, owner)),
            audience_admits,
        ),
    )


def with_details(stmt: Select) -> Select:
    """What a story answer shows besides its columns: the owner and the marked ids."""
    return stmt.options(joinedload(Story.owner), selectinload(Story.marks))


def fetch_stories(stmt: Select) -> Sequence[Story]:
    return db.session.scalars(with_details(stmt)).all()


def visible_active_story(caller: User, story_id: int, *, details: bool = True) -> Story:
    """The active story `story_id` if the caller may see it; 404 otherwise.

    Detail, update, delete, views and reactions all find their story here.
    """
    stmt = select(Story).where(Story.id == story_id, Story.is_active, visible_story(caller.id))
    story = db.first_or_404(with_details(stmt) if details else stmt)
    return story


def owned_story(caller: User, story_id: int, *, active: bool, details: bool = True) -> Story:
    """The caller's own active (or archived) story; 404 for anyone else's or the other kind."""
    state = Story.is_active if active else ~Story.is_active
    stmt = select(Story).where(Story.id == story_id, Story.owner_id == caller.id, state)
    story = db.first_or_404(with_details(stmt) if details else stmt)
    return story


def own_active_stories(caller: User) -> Select:
    """Oldest first: the order in which stories are played."""
    return (
        select(Story)
        .where(Story.owner_id == caller.id, Story.is_active)
        .order_by(Story.created_at, Story.id)
    )


def user_active_stories(caller: User, user_id: int) -> Select:
    """A user's active stories that the caller may see; 404 when the user is not visible."""
    visible = select(User.id).where(User.id == user_id, visible_user(caller.id))
    db.first_or_404(visible)
    return (
        select(Story)
        .where(Story.owner_id == user_id, Story.is_active, visible_story(caller.id))
        .order_by(Story.created_at, Story.id)
    )


def archived_stories(caller: User) -> Select:
    """Newest first."""
    return (
        select(Story)
        .where(Story.owner_id == caller.id, ~Story.is_active)
        .order_by(Story.created_at.desc(), Story.id.desc())
    )


def load_story(story_id: int) -> Story:
    return db.session.scalar(with_details(select(Story).where(Story.id == story_id)))


# --- creating and changing stories ---------------------------------------------------------------


def save_story_media(owner_id: int, upload: FileStorage) -> tuple[str, int]:
    """A video (mp4, webm, mov) or an image, recognised by content, counted against the
    owner's media quota; returns the stored path and its size."""
    data = read_upload(upload, "media")
    ext = detect_video(data)
    if ext is None:
        if not filetype.is_image(data[:8192]):
            raise invalid("media", NOT_MEDIA)
        data, ext = clean_image(data, "media")
    require_room(owner_id, len(data))
    return store(data, MEDIA_FOLDER, ext), len(data)


def markable_users(owner_id: int, user_ids: Iterable[int]) -> list[int]:
    """The ids, without repeats; 400 on `marked` unless each is an active user not blocked
    either way (and not the owner)."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return []
    found = set(
        db.session.scalars(
            select(User.id).where(
                User.id.in_(wanted),
                User.id != owner_id,
                User.is_active == true(),
                not_(blocked_between(User.id, owner_id)),
            )
        )
    )
    refused = [user_id for user_id in wanted if user_id not in found]
    if refused:
        listed = ", ".join(str(user_id) for user_id in refused)
        raise invalid("marked", f"These users cannot be marked: {listed}.")
    return wanted


def require_marks_for_audience(audience: str, marked: list[int]) -> None:
    if audience == "marked" and not marked:
        raise invalid("marked", "Mark at least one user for the 'marked' audience.")


def create_story(
    caller: User, media: FileStorage, caption: str, audience: str, marked: list[int]
) -> Story:
    marked = markable_users(caller.id, marked)
    require_marks_for_audience(audience, marked)
    now = utcnow()
    path, size = save_story_media(caller.id, media)
    story = Story(
        owner_id=caller.id,
        media=path,
        media_size=size,
        caption=caption,
        audience=audience,
        created_at=now,
        updated_at=now,
        marks=[StoryMark(user_id=user_id) for user_id in marked],
    )
    db.session.add(story)
    notifications.story_shared(story)
    db.session.commit()
    return load_story(story.id)


def owner_only(caller: User, story: Story) -> None:
    if story.owner_id != caller.id:
        raise Forbidden("Only the owner may change or delete a story.")


def update_story(caller: User, story_id: int, changes: dict) -> Story:
    story = visible_active_story(caller, story_id)
    owner_only(caller, story)
    if "marked" in changes:
        current = {mark.user_id: mark for mark in story.marks}
        story.marks = [
            current.get(user_id) or StoryMark(user_id=user_id)
            for user_id in markable_users(caller.id, changes["marked"])
        ]
    require_marks_for_audience(changes.get("audience", story.audience), story.marked)
    caption_before = story.caption
    for field in ("caption", "audience"):
        if field in changes:
            setattr(story, field, changes[field])
    story.updated_at = utcnow()
    notifications.story_shared(story, caption_before)
    db.session.commit()
    return load_story(story.id)


def delete_active_story(caller: User, story_id: int) -> None:
    story = visible_active_story(caller, story_id, details=False)
    owner_only(caller, story)
    remove_story(story)


def delete_archived_story(caller: User, story_id: int) -> None:
    remove_story(owned_story(caller, story_id, active=False, details=False))


def remove_story(story: Story) -> None:
    """The story goes; ON DELETE CASCADE takes its marks, views and reactions."""
    notifications.story_deleted(story.id)
    db.session.execute(delete(Story).where(Story.id == story.id))
    delete_after_success(story.media)
    db.session.commit()


# --- views and reactions -------------------------------------------------------------------------


def record_view(caller: User, story_id: int) -> StoryView:
    """The caller has viewed a story they may see: once per user and story."""
    story = visible_active_story(caller, story_id, details=False)
    if story.owner_id == caller.id:
        raise invalid("story", "Your own story's views are not recorded.")
    view = insert_once(StoryView, story_id=story.id, viewer_id=caller.id)
    if view is None:
        raise invalid("story", "You have already viewed this story.")
    db.session.commit()
    return view


def react(caller: User, story_id: int, reaction: str) -> StoryReaction:
    """React once to a story the caller may see; reacting counts as viewing it."""
    story = visible_active_story(caller, story_id, details=False)
    if story.owner_id == caller.id:
        raise invalid("story", "You cannot react to your own story.")
    created = insert_once(StoryReaction, story_id=story.id, user_id=caller.id, reaction=reaction)
    if created is None:
        raise invalid("story", "You have already reacted to this story.")
    insert_once(StoryView, story_id=story.id, viewer_id=caller.id)
    notifications.story_reacted(caller, story)
    db.session.commit()
    return created


def own_reaction(caller: User, reaction_id: int) -> StoryReaction:
    """The caller's reaction; 403 for the story's owner (who sees it), 404 for anyone else."""
    row = db.session.execute(
        select(StoryReaction, Story.owner_id)
        .join(Story, Story.id == StoryReaction.story_id)
        .where(StoryReaction.id == reaction_id)
    ).first()
    if row is None:
        raise NotFound()
    reaction, story_owner_id = row
    if reaction.user_id == caller.id:
        return reaction
    if story_owner_id == caller.id:
        raise Forbidden("Only the user who reacted may change or delete a reaction.")
    raise NotFound()


def update_reaction(caller: User, reaction_id: int, text: str) -> StoryReaction:
    """Changing a reaction is reacting again: the story must still be active and visible."""
    reaction = own_reaction(caller, reaction_id)
    visible_active_story(caller, reaction.story_id, details=False)
    reaction.reaction = text
    db.session.commit()
    return reaction


def delete_reaction(caller: User, reaction_id: int) -> None:
    """Taking one's reaction back is always allowed."""
    reaction = own_reaction(caller, reaction_id)
    notifications.reaction_deleted(reaction)
    db.session.delete(reaction)
    db.session.commit()


def story_viewers(caller: User, story_id: int, *, active: bool) -> Select:
    """Who viewed the caller's story, when, and their reaction; newest view first.

    Users who are gone or blocked either way since are left out.
    """
    story = owned_story(caller, story_id, active=active, details=False)
    return (
        select(User, StoryView.viewed_at, StoryReaction.reaction)
        .select_from(StoryView)
        .join(User, User.id == StoryView.viewer_id)
        .outerjoin(
            StoryReaction,
            and_(
                StoryReaction.story_id == StoryView.story_id,
                StoryReaction.user_id == StoryView.viewer_id,
            ),
        )
        .where(
            StoryView.story_id == story.id,
            User.is_active == true(),
            not_(blocked_between(User.id, caller.id)),
        )
        .order_by(StoryView.viewed_at.desc(), StoryView.id.desc())
    )


def fetch_viewers(stmt: Select) -> list[dict]:
    return [
        {"viewer": user, "viewed_at": viewed_at, "reaction": reaction}
        for user, viewed_at, reaction in db.session.execute(stmt)
    ]


def media_bytes(user_id: int) -> Select:
    """The bytes of the user's story media, archived ones included (for the media quota)."""
    return select(func.coalesce(func.sum(Story.media_size), 0)).where(Story.owner_id == user_id)


def remove_files_of_user(user_id: int) -> None:
    """Account deletion: the user's story media go once the deletion has committed."""
    for path in db.session.scalars(select(Story.media).where(Story.owner_id == user_id)):
        delete_after_success(path)
