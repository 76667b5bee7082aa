"""Statements both SQLite and PostgreSQL run the same way, telling a database that cannot be
reached from a bug, and reads a request makes once."""

import sqlite3
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import CursorResult, Result
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lti_tool.extensions import db

# SQLite reports bugs (no such table, a syntax error) as OperationalError too: only these
# primary result codes mean that the database file cannot be used right now.
SQLITE_UNAVAILABLE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM,
                                sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
                                sqlite3.SQLITE_CANTOPEN})


def database_unavailable(error: BaseException) -> bool:
    """True when `error` means that the database cannot be reached now (down, restarting,
    unreachable, out of connections or space), not that the code is wrong."""
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):  # the pool's
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:  # the driver's error was a lost connection
        return True
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        code = getattr(error.orig, "sqlite_errorcode", None)
        return code is None or code & 0xFF in SQLITE_UNAVAILABLE
    return False


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched. `Session.execute` returns a CursorResult for
    them, which `db.session.execute`'s annotations (a plain Result) do not say."""
    return cast(CursorResult[Any], result).rowcount


# The databases the tool runs on; each has INSERT ... ON CONFLICT in its own dialect.
DIALECTS = ("postgresql", "sqlite")


def dialect_insert(dialect: str):
    """The `insert` construct of the dialect named `dialect` (an engine's `dialect.name`):
    the one with `on_conflict_do_nothing` and `on_conflict_do_update`."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _insert(model):
    return dialect_insert(db.engine.dialect.name)(model)


def insert_unless_present(model, keys: list[str],
                          values: dict[str, Any] | list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT (keys) DO NOTHING, of one row or several: when two requests
    create the same row at once, neither fails and the caller's transaction stays usable."""
    db.session.execute(_insert(model).values(values)
                       .on_conflict_do_nothing(index_elements=keys))


def upsert(model, keys: list[str], values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE with the other values."""
    statement = _insert(model).values(**values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: statement.excluded[name] for name in values if name not in keys}))


# --- Reads a request repeats ------------------------------------------------------------------

_READS = "pairwise.reads"
T = TypeVar("T")


@contextmanager
def commits_keep_loaded() -> Iterator[None]:
    """Commits in the block leave the rows the session holds as loaded, not expired: for a
    page rendered right after committing what it shows (a launch's rows), which would
    otherwise read each of them again."""
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = before


def read_once(key: Hashable, load: Callable[[], T]) -> T:
    """`load()`'s result, loaded once until the session next writes or ends its transaction:
    a page whose parts ask for the same rows (the course's enrolments, the program's mentors,
    a person's intake) reads and decodes them once. A flush may have changed what was read,
    and a commit or rollback expires the rows themselves, so each forgets every read. Pending
    changes are flushed first, as a query would autoflush them. Callers must not change what
    they get (copy a list before changing it)."""
    session = db.session()
    if not session.autoflush:
        return load()
    if session.new or session.dirty or session.deleted:
        session.flush()
    reads = session.info.get(_READS, {})
    if key in reads:
        return reads[key]
    value = load()  # which may flush writes of its own, forgetting the reads before it
    session.info.setdefault(_READS, {})[key] = value
    return value


def _forget_reads(session: Session, *_args) -> None:
    session.info.pop(_READS, None)


for _event in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    sa.event.listen(Session, _event, _forget_reads)
