"""The state of a token's user that every authenticated request needs, kept in memory.

An access token is good while its user exists, is active, is on the token's version
and joined before the token was issued; staff routes also ask `is_staff`. Reading that
from the database on every request was a round trip per request, so each process keeps
it here (`UserState`, at most TOKEN_STATE_CACHE_SIZE users, each for at most
TOKEN_STATE_TTL_SECONDS) and forgets a user as soon as a change to it commits:

- a flush that changes `token_version`, `is_active`, `is_staff`, `is_private` or
  `date_joined` of a `User`, or deletes one, is noted on the session (`_note_changes`)
  and announced after the commit (never when it rolls back); an `update(User)` that may
  change those columns, or a `delete(User)`, makes every state be forgotten;
- the announcement forgets the user in this process and, with REDIS_URL, is published on
  the channel `uzbekhub:<db>:auth` that every process listens to. While a process is not
  subscribed (starting, or Redis away) it reads every state from the database; once
  subscribed again it starts from an empty cache, since it may have missed announcements.

A state read while a change commits could be older than the change: it is kept only when
no user was forgotten meanwhile (`generation`). Revocations do not wait for any of this:
see `uzbekhub.accounts.tokens` (the token's version is compared with the state, and a
newer token than the state makes the state be read again).
"""

import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from functools import cache

from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy import Select, bindparam, event, inspect, select
from sqlalchemy.orm import Session

from uzbekhub.accounts.models import User
from uzbekhub.common.db import after_commit
from uzbekhub.common.redis import channel_name, listen_forever
from uzbekhub.extensions import db

log = logging.getLogger(__name__)

STATES_KEY = "token_states"
WATCHED = ("token_version", "is_active", "is_staff", "is_private", "date_joined")
_CHANGED = "token_state_changed"
EVERYONE = "*"


@dataclass(frozen=True, slots=True)
class UserState:
    id: int
    token_version: int
    is_active: bool
    is_staff: bool
    is_private: bool
    # date_joined as a Unix time: tokens issued before it named an earlier account.
    joined_at: int


@cache
def _state_query() -> Select:
    """Built once: the columns of a `UserState`, never the password hash."""
    return select(
        User.id,
        User.token_version,
        User.is_active,
        User.is_staff,
        User.is_private,
        User.date_joined,
    ).where(User.id == bindparam("user_id"))


def read_state(user_id: int) -> UserState | None:
    """The user's state from the database; None if there is no such user."""
    row = db.session.execute(_state_query(), {"user_id": user_id}).first()
    if row is None:
        return None
    return UserState(
        row[0], row[1], bool(row[2]), bool(row[3]), bool(row[4]), int(row[5].timestamp())
    )


class TtlCache:
    """A bounded map whose entries expire: the least recently used goes first when full."""

    def __init__(self, size: int, ttl: float):
        self.size = size
        self.ttl = ttl
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        # Counts forgets: a value read before one may be stale, and is not kept.
        self.generation = 0

    def get(self, key: Hashable):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, value, generation: int) -> None:
        """Keep `value` (read when the cache was at `generation`) unless something was
        forgotten since."""
        with self._lock:
            if generation != self.generation:
                return
            self._entries[key] = (time.monotonic() + self.ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self.generation += 1
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class TokenStates:
    """This process's cache of user states (and, without Redis, of live sessions)."""

    def __init__(self, app: Flask):
        size, ttl = app.config["TOKEN_STATE_CACHE_SIZE"], app.config["TOKEN_STATE_TTL_SECONDS"]
        self.users = TtlCache(size, ttl)
        # Without Redis the one server process ends every session itself (README, "Tokens").
        self.live_sessions = TtlCache(size, ttl)
        url = app.config.get("REDIS_URL")
        self.listener = _listener_for(url) if url else None
        if self.listener is not None:
            self.listener.caches.add(self)

    @property
    def trusted(self) -> bool:
        """Whether cached states can be used: always without Redis, otherwise only while
        this process is subscribed to the announcements of other processes."""
        if self.listener is None:
            return True
        self.listener.ensure_started()
        return self.listener.subscribed.is_set()

    def state(self, user_id: int, at_least_version: int = 0) -> UserState | None:
        """The user's state; read from the database when not cached, or when the cached one
        is older than `at_least_version` (a token newer than the cache has seen)."""
        trusted = self.trusted
        if trusted:
            cached = self.users.get(user_id)
            if cached is not None and cached.token_version >= at_least_version:
                return cached
        generation = self.users.generation
        state = read_state(user_id)
        if trusted and state is not None:
            self.users.put(user_id, state, generation)
        return state

    def forget(self, user_ids) -> None:
        for user_id in user_ids:
            self.users.forget(user_id)

    def clear(self) -> None:
        self.users.clear()
        self.live_sessions.clear()


def token_states(app: Flask | None = None) -> TokenStates:
    return (app or current_app).extensions[STATES_KEY]


# --- announcing changes -------------------------------------------------------------------------


def changed_users(user_ids) -> None:
    """Forget these users' states (`EVERYONE`: every state) in this process and, with
    Redis, in every other one."""
    user_ids = set(user_ids)
    if not user_ids:
        return
    states = token_states()
    if EVERYONE in user_ids:
        states.users.clear()
        message = EVERYONE
    else:
        states.forget(user_ids)
        message = ",".join(map(str, sorted(user_ids)))
    if states.listener is None:
        return
    client = current_app.extensions["redis"]
    try:
        client.publish(states.listener.channel, message)
    except RedisError:
        # The other processes cannot hear it: they may not trust their caches either.
        log.exception("could not announce changed users %s", user_ids)


def _note_changes(session: Session, flush_context) -> None:
    """After a flush: the users whose token state it changed or who it deleted."""
    changed = {obj.id for obj in session.dirty if isinstance(obj, User) and _watched_changed(obj)}
    changed.update(obj.id for obj in session.deleted if isinstance(obj, User))
    if changed:
        _pending(session).update(changed)


def _note_bulk_changes(state) -> None:
    """Before an `update(User)` or `delete(User)` statement: which users it changes is not
    known here, so when it may change a watched column, every state is forgotten."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    if state.bind_mapper.class_ is not User:
        return
    if state.is_update:
        values = getattr(state.statement, "_values", None) or {}
        names = {getattr(key, "key", key) for key in values}
        if names and not names & set(WATCHED):
            return
    _pending(state.session).add(EVERYONE)


def _pending(session: Session) -> set:
    pending = session.info.get(_CHANGED)
    if pending is None:
        pending = session.info[_CHANGED] = set()
        after_commit(session, lambda: changed_users(session.info.pop(_CHANGED, ())))
    return pending


def _forget_pending(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


def _watched_changed(user: User) -> bool:
    attrs = inspect(user).attrs
    return any(attrs[name].history.has_changes() for name in WATCHED)


def register_token_states(app: Flask) -> None:
    app.extensions[STATES_KEY] = TokenStates(app)
    if not event.contains(Session, "after_flush", _note_changes):
        event.listen(Session, "after_flush", _note_changes)
        event.listen(Session, "after_transaction_end", _forget_pending)
        event.listen(Session, "do_orm_execute", _note_bulk_changes)


# --- hearing other processes --------------------------------------------------------------------

_listeners: dict[str, "Listener"] = {}
_listeners_lock = threading.Lock()


def _listener_for(url: str) -> "Listener":
    """One subscriber per Redis database and process, shared by every app on it."""
    channel = channel_name(url, "auth")
    with _listeners_lock:
        listener = _listeners.get(channel)
        if listener is None:
            listener = _listeners[channel] = Listener(url, channel)
        return listener


class Listener:
    def __init__(self, url: str, channel: str):
        self.url = url
        self.channel = channel
        self.caches: weakref.WeakSet[TokenStates] = weakref.WeakSet()
        self.subscribed = threading.Event()
        self._started = False
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        if self._started:
            return
        with self._lock:
            if self._started:
                return
            self._started = True
        from uzbekhub.extensions import socketio  # noqa: PLC0415

        socketio.start_background_task(self._listen)

    def _forget_everything(self) -> None:
        for states in list(self.caches):
            states.users.clear()

    def _receive(self, data: bytes) -> None:
        if data == EVERYONE.encode():
            self._forget_everything()
            return
        try:
            ids = [int(part) for part in data.split(b",") if part]
        except ValueError:
            log.error("not a list of user ids on %s: %r", self.channel, data[:100])
            return
        for states in list(self.caches):
            states.forget(ids)

    def _listen(self) -> None:
        listen_forever(self.url, self.channel, self._receive, self._on_subscribed, self._on_lost)

    def _on_subscribed(self) -> None:
        # Whatever changed before now may have been missed: start afresh.
        self._forget_everything()
        self.subscribed.set()

    def _on_lost(self, retry_in: float) -> None:
        self.subscribed.clear()
        self._forget_everything()
        log.warning("lost the Redis channel %s; reconnecting", self.channel, exc_info=True)
