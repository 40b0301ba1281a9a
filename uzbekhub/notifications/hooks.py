"""What each action of the other domains notifies, and what undoing it retracts.

Posts, stories, accounts and chat call one of these per action, inside the action's
transaction (before its commit), so a notification commits with its cause or not at all.
"""

import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, delete, or_, select, true

from uzbekhub.accounts.models import Contact, User
from uzbekhub.accounts.visibility import SeenUser, sees_user
from uzbekhub.extensions import db
from uzbekhub.notifications.models import Notification, NotificationActor
from uzbekhub.notifications.services import (
    ABOUT_THE_RECIPIENT,
    comment_target,
    delete_actors,
    forget_between,
    forget_target,
    forget_targets,
    mentioned_usernames,
    notify,
    notify_mentions,
    notify_user,
    post_target,
    retract,
    room_target,
    seen_differently,
    story_target,
)
from uzbekhub.posts.models import Post, PostComment
from uzbekhub.stories.models import Story, StoryMark

# --- posts -------------------------------------------------------------------------------------


def post_written(author: User, post, before: str | None = None) -> None:
    """A post created, or edited from the text `before`: the users it names (see
    `notify_mentions`)."""
    notify_mentions(author, post.content, post_target(post.id), None, before=before)


def post_liked(liker: SeenUser, post_id: uuid.UUID) -> None:
    """The post's owner, found by the notifying statement itself (the like needs no load)."""
    owner = select(Post.owner_id).where(Post.id == post_id).scalar_subquery()
    notify("post_liked", liker, post_target(post_id), User.id == owner)


def post_unliked(like) -> None:
    retract("post_liked", post_target(like.post_id), like.owner_id)


def commented(author: SeenUser, post, comment) -> None:
    """A comment: the post's owner, the author of the comment it answers, the users it names
    (who may see the post)."""
    notify_user("post_commented", author, post_target(post.id), post.owner_id)
    if comment.reply_to_id is not None:
        replied_author = (
            select(PostComment.owner_id)
            .where(PostComment.id == comment.reply_to_id)
            .scalar_subquery()
        )
        replied = comment_target(comment.reply_to_id, post.id)
        notify("comment_replied", author, replied, User.id == replied_author)
    comment_written(author, post.owner_id, comment)


def comment_written(
    author: SeenUser, post_owner_id: int, comment, before: str | None = None
) -> None:
    """A comment written, or edited from the text `before`: the users it names who may see
    the post (see `notify_mentions`)."""
    if mentioned_usernames(comment.comment) or mentioned_usernames(before):
        post_owner = db.session.get(User, post_owner_id)
        target = comment_target(comment.id, comment.post_id)
        may_see_post = sees_user(User.id, post_owner)
        notify_mentions(author, comment.comment, target, may_see_post, before=before)


def comment_edited(author: SeenUser, comment, before: str) -> None:
    if mentioned_usernames(comment.comment) or mentioned_usernames(before):
        post_owner_id = db.session.scalar(select(Post.owner_id).where(Post.id == comment.post_id))
        comment_written(author, post_owner_id, comment, before)


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


def story_shared(story, caption_before: str | None = None) -> None:
    """A story created, or edited from the caption `caption_before`: its marked users and the
    users its caption names, who may see it; users no longer marked (or named) leave their
    notification."""
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
    notify_mentions(owner, story.caption, target, audience, before=caption_before)


def story_reacted(reactor: User, story) -> None:
    notify_user("story_reacted", reactor, story_target(story.id), story.owner_id)


def reaction_deleted(reaction) -> None:
    retract("story_reacted", story_target(reaction.story_id), reaction.user_id)


def story_deleted(story_id: int) -> None:
    forget_target(story_id=story_id)


# --- accounts ----------------------------------------------------------------------------------


def contact_added(owner: User, contact_id: int) -> None:
    """A private owner now lets the contact see them: their actions reappear for them."""
    notify_user("contact_added", owner, ABOUT_THE_RECIPIENT, contact_id)
    if owner.is_private:
        seen_differently(owner.id, NotificationActor.recipient_id == contact_id)


def contact_removed(owner: User, contact_id: int) -> None:
    """A private owner's actions are hidden from the contact they dropped."""
    retract("contact_added", ABOUT_THE_RECIPIENT, owner.id, contact_id)
    if owner.is_private:
        seen_differently(owner.id, NotificationActor.recipient_id == contact_id)


def contact_changed(owner: User, previous_id: int, contact_id: int) -> None:
    if contact_id != previous_id:
        contact_removed(owner, previous_id)
        contact_added(owner, contact_id)


def privacy_changed(user: User) -> None:
    """Gone private (or public again): what the user did is hidden from (or shown again to)
    everyone but their contacts, who see them either way."""
    contacts = select(Contact.contact_id).where(Contact.owner_id == user.id)
    seen_differently(user.id, NotificationActor.recipient_id.not_in(contacts))


def blocked(blocker_id: int, blocked_id: int) -> None:
    forget_between(blocker_id, blocked_id)


def account_deleted(user_id: int) -> None:
    """The account goes, with what it owned and did: the notifications of others about its
    posts, comments and stories go, and it leaves the groups it acted in, announced like any
    retraction (the database's cascades would tell nobody)."""

    def about_what_it_owned(model):
        return and_(
            model.recipient_id != user_id,
            or_(
                model.post_id.in_(select(Post.id).where(Post.owner_id == user_id)),
                model.comment_id.in_(select(PostComment.id).where(PostComment.owner_id == user_id)),
                model.story_id.in_(select(Story.id).where(Story.owner_id == user_id)),
            ),
        )

    forget_targets(about_what_it_owned)
    delete_actors(NotificationActor.actor_id == user_id)
    # Its own groups before the cascade takes their actors (who then have no group to keep).
    db.session.execute(delete(Notification).where(Notification.recipient_id == user_id))


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
