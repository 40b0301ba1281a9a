"""What each action of the other domains notifies, and what undoing it retracts.

Posts, stories, accounts and chat call one of these per action, inside the action's
transaction (before its commit), so a notification commits with its cause or not at all.
"""

import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, select, true

from uzbekhub.accounts.models import Contact, User
from uzbekhub.accounts.visibility import sees_user
from uzbekhub.extensions import db
from uzbekhub.notifications.models import NotificationActor
from uzbekhub.notifications.services import (
    ABOUT_THE_RECIPIENT,
    comment_target,
    delete_actors,
    forget_between,
    forget_target,
    mentioned_usernames,
    notify,
    notify_mentions,
    notify_user,
    post_target,
    retract,
    room_target,
    story_target,
)
from uzbekhub.posts.models import PostComment
from uzbekhub.stories.models import StoryMark

# --- posts -------------------------------------------------------------------------------------


def post_written(author: User, post) -> None:
    """A post created or edited: the users it names (edits notify only the newly named)."""
    notify_mentions(author, post.content, post_target(post.id), None)


def post_liked(liker: User, post) -> None:
    notify_user("post_liked", liker, post_target(post.id), post.owner_id)


def post_unliked(like) -> None:
    retract("post_liked", post_target(like.post_id), like.owner_id)


def commented(author: User, post, comment) -> None:
    """A comment: the post's owner, the author of the comment it answers, the users it names
    (who may see the post)."""
    notify_user("post_commented", author, post_target(post.id), post.owner_id)
    target = comment_target(comment.id, post.id)
    if comment.reply_to_id is not None:
        replied_author = (
            select(PostComment.owner_id)
            .where(PostComment.id == comment.reply_to_id)
            .scalar_subquery()
        )
        replied = comment_target(comment.reply_to_id, post.id)
        notify("comment_replied", author, replied, User.id == replied_author)
    if mentioned_usernames(comment.comment):
        post_owner = db.session.get(User, post.owner_id)
        notify_mentions(author, comment.comment, target, sees_user(User.id, post_owner))


def comment_deleted(comment) -> None:
    """The author leaves the post's `post_commented` (and the answered comment's
    `comment_replied`) unless another comment of theirs still stands there."""
    others = select(PostComment.id).where(
        PostComment.owner_id == comment.owner_id, PostComment.id != comment.id
    )
    groups = [
        ("post_commented", post_target(comment.post_id), PostComment.post_id == comment.post_id)
    ]
    if comment.reply_to_id is not None:
        replied = comment_target(comment.reply_to_id, comment.post_id)
        groups.append(("comment_replied", replied, PostComment.reply_to_id == comment.reply_to_id))
    for kind, target, same_place in groups:
        delete_actors(
            and_(
                NotificationActor.type == kind,
                NotificationActor.target_key == target.key,
                NotificationActor.actor_id == comment.owner_id,
                ~others.where(same_place).exists(),
            )
        )
    forget_target(comment_id=comment.id)


def post_deleted(post_id: uuid.UUID) -> None:
    forget_target(post_id=post_id)


# --- stories -----------------------------------------------------------------------------------


def _in_story_audience(story) -> ColumnElement[bool]:
    """The recipients (`User`) that the story's audience admits (its owner is the actor)."""
    if story.audience == "contact":
        return User.id.in_(select(Contact.contact_id).where(Contact.owner_id == story.owner_id))
    if story.audience == "marked":
        return User.id.in_(select(StoryMark.user_id).where(StoryMark.story_id == story.id))
    return true()


def story_shared(story) -> None:
    """A story created or edited: its marked users and the users its caption names, who may
    see it; users no longer marked leave their `story_marked`."""
    db.session.flush()  # the story's id
    owner = db.session.get(User, story.owner_id)
    target = story_target(story.id)
    marked = [mark.user_id for mark in story.marks]
    delete_actors(
        and_(
            NotificationActor.type == "story_marked",
            NotificationActor.target_key == target.key,
            NotificationActor.recipient_id.not_in(marked),
        )
    )
    audience = _in_story_audience(story)
    if marked:
        notify("story_marked", owner, target, User.id.in_(marked), audience)
    notify_mentions(owner, story.caption, target, audience)


def story_reacted(reactor: User, story) -> None:
    notify_user("story_reacted", reactor, story_target(story.id), story.owner_id)


def reaction_deleted(reaction) -> None:
    retract("story_reacted", story_target(reaction.story_id), reaction.user_id)


def story_deleted(story_id: int) -> None:
    forget_target(story_id=story_id)


# --- accounts ----------------------------------------------------------------------------------


def contact_added(owner: User, contact_id: int) -> None:
    notify_user("contact_added", owner, ABOUT_THE_RECIPIENT, contact_id)


def contact_removed(owner_id: int, contact_id: int) -> None:
    retract("contact_added", ABOUT_THE_RECIPIENT, owner_id, contact_id)


def contact_changed(owner: User, previous_id: int, contact_id: int) -> None:
    if contact_id != previous_id:
        contact_removed(owner.id, previous_id)
        contact_added(owner, contact_id)


def blocked(blocker_id: int, blocked_id: int) -> None:
    forget_between(blocker_id, blocked_id)


# --- chat --------------------------------------------------------------------------------------


def added_to_group(adder: User, room_id: uuid.UUID, user_ids: Iterable[int]) -> None:
    user_ids = list(user_ids)
    if user_ids:
        notify("group_added", adder, room_target(room_id), User.id.in_(user_ids))


def role_given(owner: User, room_id: uuid.UUID, user_id: int) -> None:
    """Made admin or owner: a new notification, even from the owner who gave the last role."""
    target = room_target(room_id)
    retract("role_changed", target, owner.id, user_id)
    notify_user("role_changed", owner, target, user_id)


def role_taken_back(owner_id: int, room_id: uuid.UUID, user_id: int) -> None:
    retract("role_changed", room_target(room_id), owner_id, user_id)


def left_group(room_id: uuid.UUID, user_id: int) -> None:
    """Removed or gone: the room's notifications of that user go."""
    delete_actors(
        and_(
            NotificationActor.recipient_id == user_id,
            NotificationActor.room_id == room_id,
        )
    )


def room_deleted(room_id: uuid.UUID) -> None:
    forget_target(room_id=room_id)
