"""The rules of notifications: whom an action notifies, how groups are listed, read and
removed, and what each user turned off.

Other domains call one function of `hooks` per action, inside the transaction of that
action, so a notification commits with its cause or not at all. Adding or taking out
actors is one statement; what changed is announced after the commit
(`uzbekhub.notifications.live`).
"""

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from flask import current_app
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    Subquery,
    and_,
    bindparam,
    delete,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.orm import joinedload, load_only

from uzbekhub.accounts.models import User
from uzbekhub.accounts.user_rows import BRIEF_ATTRIBUTES
from uzbekhub.accounts.visibility import SeenUser, sees_user, visible_user
from uzbekhub.common.db import (
    UTCDateTime,
    UUIDType,
    gathered_until_commit,
    insert_with_conflicts,
    utcnow,
)
from uzbekhub.errors import invalid
from uzbekhub.extensions import db
from uzbekhub.notifications.models import (
    TYPES,
    Notification,
    NotificationActor,
    NotificationSetting,
    TargetMixin,
)

ACTORS_SHOWN = 3
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._]{1,25})")
MENTIONS_MAX = 20


@dataclass(frozen=True)
class Target:
    """What a notification is about: the grouping key and the object's columns."""

    key: str
    post_id: uuid.UUID | None = None
    comment_id: uuid.UUID | None = None
    story_id: int | None = None
    room_id: uuid.UUID | None = None


def post_target(post_id: uuid.UUID) -> Target:
    return Target(f"post:{post_id}", post_id=post_id)


def comment_target(comment_id: uuid.UUID, post_id: uuid.UUID) -> Target:
    return Target(f"comment:{comment_id}", post_id=post_id, comment_id=comment_id)


def story_target(story_id: int) -> Target:
    return Target(f"story:{story_id}", story_id=story_id)


def room_target(room_id: uuid.UUID) -> Target:
    return Target(f"room:{room_id}", room_id=room_id)


ABOUT_THE_RECIPIENT = Target("user")


# --- creating and retracting -------------------------------------------------------------------


def _muted(kind: str, user_col) -> ColumnElement[bool]:
    return user_col.in_(
        select(NotificationSetting.user_id).where(
            NotificationSetting.type == kind, NotificationSetting.enabled == false()
        )
    )


def notify(
    kind: str,
    actor: SeenUser,
    target: Target,
    recipients: ColumnElement[bool],
    may_see_target: ColumnElement[bool] | None = None,
) -> None:
    """`actor` did `kind` to `target`: add them to the group of each recipient.

    `recipients` and `may_see_target` are conditions on `User` (the recipient). Nobody is
    notified of their own action, nor by someone they may not see (blocks either way,
    private accounts), nor of a type they turned off. One statement, whatever the size of
    the groups: triggers keep the groups (see the models).
    """
    conditions = [
        recipients,
        User.id != actor.id,
        User.is_active == true(),
        sees_user(User.id, actor),
        not_(_muted(kind, User.id)),
    ]
    if may_see_target is not None:
        conditions.append(may_see_target)
    rows = select(
        User.id,
        literal(kind),
        literal(target.key),
        literal(actor.id),
        literal(target.post_id, UUIDType),
        literal(target.comment_id, UUIDType),
        literal(target.story_id),
        literal(target.room_id, UUIDType),
        literal(utcnow(), UTCDateTime()),
    ).where(*conditions)
    columns = (
        "recipient_id",
        "type",
        "target_key",
        "actor_id",
        "post_id",
        "comment_id",
        "story_id",
        "room_id",
        "created_at",
    )
    stmt = (
        insert_with_conflicts(NotificationActor)
        .from_select(columns, rows)
        .on_conflict_do_nothing()
        .returning(NotificationActor.recipient_id)
    )
    for recipient_id in db.session.scalars(stmt):
        _announce(recipient_id, kind, target.key, added=True)


def notify_user(kind: str, actor: SeenUser, target: Target, recipient_id: int, **kwargs) -> None:
    notify(kind, actor, target, User.id == recipient_id, **kwargs)


def retract(kind: str, target: Target, actor_id: int, recipient_id: int | None = None) -> None:
    """`actor_id` undid what caused `kind` on `target`: they leave those groups."""
    recipients = None if recipient_id is None else NotificationActor.recipient_id == recipient_id
    retract_where(kind, target, actor_id, recipients)


def retract_where(
    kind: str, target: Target, actor_id: int, recipients: ColumnElement[bool] | None
) -> None:
    """`retract` from the recipients that `recipients` (a condition on `NotificationActor`)
    picks, or from all."""
    conditions = [
        NotificationActor.type == kind,
        NotificationActor.target_key == target.key,
        NotificationActor.actor_id == actor_id,
    ]
    if recipients is not None:
        conditions.append(recipients)
    delete_actors(and_(*conditions))


def forget_between(a_id: int, b_id: int) -> None:
    """A block: neither user stays an actor in the other's notifications."""
    delete_actors(
        or_(
            and_(NotificationActor.recipient_id == a_id, NotificationActor.actor_id == b_id),
            and_(NotificationActor.recipient_id == b_id, NotificationActor.actor_id == a_id),
        )
    )


def forget_target(**target_column) -> None:
    """The object is being deleted: its notifications go with it (the cascade of its foreign
    key, made explicit so that the recipients are told)."""
    ((name, value),) = target_column.items()
    forget_targets(lambda model: getattr(model, name) == value)


def forget_targets(about: Callable[[type[TargetMixin]], ColumnElement[bool]]) -> None:
    """`forget_target` for the targets that `about(Notification or NotificationActor)` picks."""
    gone = db.session.execute(
        delete(Notification)
        .where(about(Notification))
        .returning(Notification.recipient_id, Notification.id)
    ).all()
    db.session.execute(delete(NotificationActor).where(about(NotificationActor)))
    for recipient_id, notification_id in gone:
        _announce_removed(recipient_id, notification_id)


def seen_differently(actor_id: int, recipients: ColumnElement[bool] | None = None) -> None:
    """Whether the recipients (a condition on `NotificationActor`, or all) may see `actor_id`
    changed: the groups the actor is in are announced again, with or without them."""
    stmt = select(
        NotificationActor.recipient_id, NotificationActor.type, NotificationActor.target_key
    ).where(NotificationActor.actor_id == actor_id)
    if recipients is not None:
        stmt = stmt.where(recipients)
    for recipient_id, kind, key in db.session.execute(stmt).all():
        _announce(recipient_id, kind, key, added=False)


def delete_actors(condition: ColumnElement[bool]) -> None:
    stmt = (
        delete(NotificationActor)
        .where(condition)
        .returning(
            NotificationActor.recipient_id, NotificationActor.type, NotificationActor.target_key
        )
    )
    for recipient_id, kind, key in db.session.execute(stmt).all():
        _announce(recipient_id, kind, key, added=False)


# --- mentions ----------------------------------------------------------------------------------


def mentioned_usernames(text: str | None) -> list[str]:
    """`@username` in a text, lower-cased, without repeats, at most MENTIONS_MAX."""
    names = dict.fromkeys(name.lower() for name in MENTION.findall(text or ""))
    return list(names)[:MENTIONS_MAX]


def notify_mentions(
    actor: SeenUser,
    text: str | None,
    target: Target,
    may_see_target: ColumnElement[bool] | None,
    *,
    before: str | None = None,
) -> None:
    """`mentioned` for the users named in `text` who may see where they were named.

    For an edit, `before` is the text it replaced: only names it did not have notify (someone
    already named is not told twice), and the users it no longer names leave their mention.
    """
    names = mentioned_usernames(text)
    earlier = mentioned_usernames(before)
    if earlier:
        still_named = select(User.id).where(func.lower(User.username).in_(names))
        retract_where(
            "mentioned", target, actor.id, NotificationActor.recipient_id.not_in(still_named)
        )
    new_names = [name for name in names if name not in earlier]
    if new_names:
        notify("mentioned", actor, target, func.lower(User.username).in_(new_names), may_see_target)


# --- the change announced after the commit -----------------------------------------------------

_CHANGES = "notification_changes"
NOTIFIER_KEY = "notifier"


@dataclass
class Changes:
    """What one transaction did to whose notifications."""

    groups: dict[tuple[int, str, str], bool]  # (recipient, type, key) -> an actor was added
    removed: set[tuple[int, int]]  # (recipient, notification id)
    counts: set[int]  # recipients whose unread count may have changed


def _changes() -> Changes:
    return gathered_until_commit(
        db.session(), _CHANGES, lambda: Changes({}, set(), set()), _hand_over
    )


def _hand_over(changes: Changes) -> None:
    current_app.extensions[NOTIFIER_KEY].submit(changes)


def _announce(recipient_id: int, kind: str, key: str, *, added: bool) -> None:
    changes = _changes()
    group = (recipient_id, kind, key)
    changes.groups[group] = changes.groups.get(group, False) or added
    changes.counts.add(recipient_id)


def _announce_removed(recipient_id: int, notification_id: int) -> None:
    changes = _changes()
    changes.removed.add((recipient_id, notification_id))
    changes.counts.add(recipient_id)


def _announce_count(recipient_id: int) -> None:
    _changes().counts.add(recipient_id)


# --- what the recipient sees -------------------------------------------------------------------


Groups = Iterable[tuple[str, str]]
# An id or a bound parameter, in statements built once (`bindparam`, expanding for groups).
Bound = int | BindParameter


def shown_times(recipient_id: Bound, groups: Groups | BindParameter | None = None) -> Subquery:
    """Each of the recipient's groups (or of `groups`, (type, key) pairs) with an actor they
    may see, and when the latest of those acted: the group's time as the recipient sees it,
    so that a hidden actor (gone private, deactivated, blocked) neither moves a group up nor
    dates it. The stored `created_at` counts every actor. One pass over the recipient's actor
    rows, as the visibility test it replaces was, rather than a lookup per group."""
    group = (NotificationActor.type, NotificationActor.target_key)
    stmt = (
        select(*group, func.max(NotificationActor.created_at).label("at"))
        .join(User, User.id == NotificationActor.actor_id)
        .where(NotificationActor.recipient_id == recipient_id, visible_user(recipient_id, User))
        .group_by(*group)
    )
    if groups is not None:
        listed = groups if isinstance(groups, BindParameter) else list(groups)
        stmt = stmt.where(tuple_(*group).in_(listed))
    return stmt.subquery()


def shown(recipient_id: Bound, groups: Groups | BindParameter | None = None) -> Select:
    """The caller's notifications (among `groups`, when given) that have an actor they may
    still see, each with that actor's time (`shown_times`, as `shown_at`), newest first by it."""
    times = shown_times(recipient_id, groups)
    return (
        select(Notification, times.c.at.label("shown_at"))
        .join_from(
            Notification,
            times,
            and_(times.c.type == Notification.type, times.c.target_key == Notification.target_key),
        )
        .where(Notification.recipient_id == recipient_id)
        .order_by(times.c.at.desc(), Notification.id.desc())
    )


def listing(recipient_id: int, args: dict) -> Select:
    stmt = shown(recipient_id)
    if args.get("unread"):
        stmt = stmt.where(Notification.is_read == false())
    if args.get("types"):
        stmt = stmt.where(Notification.type.in_(args["types"]))
    return stmt


def with_actors(recipient_id: int):
    """Load a page with targets, its time as the recipient sees it (`shown_times`), latest
    actors and how many actors the recipient may see: two statements for any page and group."""

    def fetch(stmt: Select) -> Sequence[Notification]:
        return _ready(recipient_id, db.session.execute(_with_targets(stmt)).all())

    return fetch


def _with_targets(stmt: Select) -> Select:
    return stmt.options(
        joinedload(Notification.post),
        joinedload(Notification.comment),
        joinedload(Notification.story),
        joinedload(Notification.room),
    )


def _ready(recipient_id: int, rows: Sequence[Row]) -> list[Notification]:
    """Rows of `shown()` (a notification, its `shown_at`, maybe more) as notifications ready
    to dump: with their time and the actors the recipient may see."""
    notifications = []
    for notification, shown_at, *_ in rows:
        notification.shown_at = shown_at
        notifications.append(notification)
    groups = visible_actors(recipient_id, [(n.type, n.target_key) for n in notifications])
    for notification in notifications:
        found = groups.get((notification.type, notification.target_key))
        notification.actors = found.latest if found else []
        notification.visible_actor_count = found.count if found else 0
    return notifications


@dataclass
class VisibleActors:
    """The actors of one group that its recipient may see: the latest few, and how many."""

    latest: list[User]
    count: int


def visible_actors(
    recipient_id: int, groups: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], VisibleActors]:
    """One statement for any number of groups: hidden actors (gone private, deactivated,
    blocked) are neither among the latest nor counted."""
    groups = list(groups)
    if not groups:
        return {}
    rows = db.session.execute(_visible_actors(), {"recipient_id": recipient_id, "groups": groups})
    found: dict[tuple[str, str], VisibleActors] = {}
    for user, kind, key, count in rows:
        found.setdefault((kind, key), VisibleActors([], count)).latest.append(user)
    return found


@cache
def _visible_actors() -> Select:
    recipient_id = bindparam("recipient_id")
    group = (NotificationActor.type, NotificationActor.target_key)
    newest_first = (NotificationActor.created_at.desc(), NotificationActor.id.desc())
    ranked = (
        select(NotificationActor.type, NotificationActor.target_key, NotificationActor.actor_id)
        .add_columns(
            func.row_number().over(partition_by=group, order_by=newest_first).label("rank"),
            func.count().over(partition_by=group).label("visible"),
        )
        .join(User, User.id == NotificationActor.actor_id)
        .where(
            NotificationActor.recipient_id == recipient_id,
            tuple_(*group).in_(bindparam("groups", expanding=True)),
            visible_user(recipient_id, User),
        )
        .subquery()
    )
    return (
        select(User, ranked.c.type, ranked.c.target_key, ranked.c.visible)
        .options(load_only(*BRIEF_ATTRIBUTES))  # what events, pushes and pages show
        .join(ranked, ranked.c.actor_id == User.id)
        .where(ranked.c.rank <= ACTORS_SHOWN)
        .order_by(ranked.c.rank)
    )


def shown_groups(
    recipient_id: int, groups: Groups
) -> tuple[dict[tuple[str, str], Notification], int]:
    """Which of the recipient's `groups` they are shown (with targets and actors), and their
    unread count: what an announcement sends. The count rides along with the groups, so two
    statements (three when none of the groups is shown any more)."""
    groups = list(groups)
    if not groups:
        return {}, unread_count(recipient_id)
    rows = db.session.execute(
        _shown_groups(), {"recipient_id": recipient_id, "groups": groups}
    ).all()
    if not rows:
        return {}, unread_count(recipient_id)
    found = {(n.type, n.target_key): n for n in _ready(recipient_id, rows)}
    return found, rows[0][-1]


@cache
def _shown_groups() -> Select:
    """Built once, as an announcement runs it for every change."""
    recipient_id, groups = bindparam("recipient_id"), bindparam("groups", expanding=True)
    in_groups = tuple_(Notification.type, Notification.target_key).in_(groups)
    unread = _unread(recipient_id).correlate(None).scalar_subquery()
    return _with_targets(shown(recipient_id, groups).where(in_groups).add_columns(unread))


def group_id(recipient_id: int, kind: str, key: str) -> int | None:
    return db.session.scalar(_group_id(), {"recipient_id": recipient_id, "kind": kind, "key": key})


@cache
def _group_id() -> Select:
    return select(Notification.id).where(
        Notification.recipient_id == bindparam("recipient_id"),
        Notification.type == bindparam("kind"),
        Notification.target_key == bindparam("key"),
    )


def _unread(recipient_id: Bound) -> Select:
    stmt = shown(recipient_id).where(Notification.is_read == false())
    return stmt.with_only_columns(func.count()).order_by(None)


@cache
def _unread_count() -> Select:
    return _unread(bindparam("recipient_id"))


def unread_count(recipient_id: int) -> int:
    return db.session.scalar(_unread_count(), {"recipient_id": recipient_id}) or 0


# --- reading and removing ----------------------------------------------------------------------


def mark_read(caller: User, data: dict) -> int:
    """Mark the named notifications (or all) read; answers the unread count."""
    stmt = update(Notification).where(Notification.recipient_id == caller.id)
    if not data.get("all"):
        ids = set(data["ids"])
        own = set(
            db.session.scalars(
                shown(caller.id)
                .with_only_columns(Notification.id)
                .where(Notification.id.in_(ids))
                .order_by(None)
            )
        )
        unknown = sorted(ids - own)
        if unknown:
            raise invalid("ids", f"No such notification: {', '.join(map(str, unknown))}.")
        stmt = stmt.where(Notification.id.in_(ids))
    db.session.execute(stmt.where(Notification.is_read == false()).values(is_read=True))
    _announce_count(caller.id)
    db.session.commit()
    return unread_count(caller.id)


def delete_notification(caller: User, notification_id: int) -> None:
    notification = db.first_or_404(shown(caller.id).where(Notification.id == notification_id))
    # The group first: its actors' delete trigger then finds no group to keep up to date.
    db.session.execute(delete(Notification).where(Notification.id == notification.id))
    db.session.execute(
        delete(NotificationActor).where(
            NotificationActor.recipient_id == caller.id,
            NotificationActor.type == notification.type,
            NotificationActor.target_key == notification.target_key,
        )
    )
    _announce_removed(caller.id, notification.id)
    db.session.commit()


# --- settings ----------------------------------------------------------------------------------


def settings_of(user_id: int) -> dict[str, bool]:
    stored = dict(
        db.session.execute(
            select(NotificationSetting.type, NotificationSetting.enabled).where(
                NotificationSetting.user_id == user_id
            )
        ).all()
    )
    return {kind: stored.get(kind, True) for kind in TYPES}


def change_settings(user_id: int, changes: dict[str, bool]) -> dict[str, bool]:
    if changes:
        stmt = insert_with_conflicts(NotificationSetting).values(
            [{"user_id": user_id, "type": kind, "enabled": on} for kind, on in changes.items()]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "type"], set_={"enabled": stmt.excluded.enabled}
        )
        db.session.execute(stmt)
        db.session.commit()
    return settings_of(user_id)
