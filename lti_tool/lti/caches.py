"""Per-process caches of what a launch reads but rarely changes: registrations, the tool's
keys, platforms' JWKS (lti/platform_keys.py). The pages' CSP origins (security/headers.py)
follow the same `generation()`.

Each cache is bounded (least recently used entries go first), lives in the app's extensions
(one per app: tests make many apps in one process) and keeps an entry for at most its
time-to-live. A commit in this process that changes a registration, a deployment or a tool
key empties every cache of the process at once (`_forget_after_commit`); other processes see
the change when their entry expires: `LTI_REGISTRATION_CACHE_SECONDS` (60 s by default) is
the longest another worker may go on using a registration an administrator edited or
removed.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, scoped_session

from lti_tool.lti.models import Deployment, Platform, ToolKey

_EXTENSION = "pairwise.lti_caches"
_CHANGED = "pairwise.lti_registrations_changed"
_WATCHED = (Platform, Deployment, ToolKey)
_WATCHED_TABLES = frozenset(model.__table__ for model in _WATCHED)

# Bumped by every commit that changes a watched row; a cache filled under an older
# generation is emptied before its next read.
_generation = 0


def now() -> float:
    """The caches' clock (seconds; tests move it)."""
    return time.monotonic()


class ProcessCache:
    """A bounded, thread-safe map whose entries expire `ttl` seconds after they are stored."""

    def __init__(self, ttl: float, size: int, clock: Callable[[], float] | None = None,
                 follows_registrations: bool = True):
        self.ttl, self.size = ttl, size
        self.clock = clock or (lambda: now())
        self.follows_registrations = follows_registrations
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._generation = _generation
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            self._drop_if_stale()
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self.clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, value: Any, ttl: float | None = None,
            read_at: int | None = None) -> None:
        """Keep `value`, unless a registration changed since it was read (`read_at`, a
        `generation()`): a read racing with a commit of this process is not kept."""
        with self._lock:
            if read_at is not None and read_at != _generation:
                return
            self._drop_if_stale()
            self._entries[key] = (self.clock() + (self.ttl if ttl is None else ttl), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _drop_if_stale(self) -> None:
        if self.follows_registrations and self._generation != _generation:
            self._entries.clear()
            self._generation = _generation


def cache(name: str, size: int = 256, ttl: float | None = None,
          follows_registrations: bool = True) -> ProcessCache:
    """The app's cache called `name` (made on first use). One that `follows_registrations`
    is emptied by every committed change to a registration or key; one that does not keeps
    data that such a change cannot make wrong (a JWKS fetched from a URL is that URL's)."""
    caches = current_app.extensions.setdefault(_EXTENSION, {})
    found = caches.get(name)
    if found is None:
        seconds = current_app.config["LTI_REGISTRATION_CACHE_SECONDS"] if ttl is None else ttl
        found = caches.setdefault(name, ProcessCache(
            float(seconds), size, follows_registrations=follows_registrations))
    return found


def generation() -> int:
    """Which registration changes this process has seen (pass it to `put` as `read_at`)."""
    return _generation


def forget_all() -> None:
    """Empty every cache of this process (their next read goes to the database)."""
    global _generation
    _generation += 1


def uncommitted_change(session: Session | scoped_session) -> bool:
    """Whether this transaction changed what the caches hold: what it reads is not yet
    everyone's (and may be rolled back), so it is not cached."""
    return bool(session.info.get(_CHANGED))


def note_change(session: Session | scoped_session) -> None:
    """A change a core statement (no ORM object) made: forget the caches once it commits."""
    session.info[_CHANGED] = True


@sa.event.listens_for(Session, "after_flush")
def _note_registration_change(session, _flush_context) -> None:
    if any(isinstance(obj, _WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@sa.event.listens_for(Session, "do_orm_execute")
def _note_bulk_change(state) -> None:
    # `session.execute(sa.update(Platform)...)` changes rows without ORM objects.
    if (state.is_update or state.is_delete) and \
            getattr(state.statement, "table", None) in _WATCHED_TABLES:
        state.session.info[_CHANGED] = True


@sa.event.listens_for(Session, "after_commit")
def _forget_after_commit(session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_all()


@sa.event.listens_for(Session, "after_rollback")
def _keep_after_rollback(session) -> None:
    session.info.pop(_CHANGED, None)
