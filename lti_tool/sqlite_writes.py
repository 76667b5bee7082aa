"""SQLite writers queued in turn, not put to sleep.

SQLite lets one connection write at a time. A writer that finds the database locked sleeps in
SQLite's busy handler, for 1, 2, 5, 10 ... up to 100 ms a try, however soon the lock is free:
under a lecture hall's launches (every launch writes) most writers slept past their turn, and
two-thirds of a request's time went to those sleeps. Here a connection takes a gate before its
transaction's first write and gives it back when the transaction ends: a lock for the threads
of this process (they wake the moment it is free), then an exclusive `flock` on a file beside
the database for the processes sharing it (tried every fraction of a millisecond). SQLite's own
lock and busy timeout still guard the database (another program, a gate given up on).
"""

import fcntl
import logging
import os
import re
import sqlite3
import threading
import time

log = logging.getLogger(__name__)

WAIT_SECONDS = 10.0  # as SQLite's busy_timeout (lti_tool/__init__.py): then go on ungated
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class Gate:
    """One database file's writers: this process's threads, then the processes."""

    def __init__(self, database: str):
        self.path = f"{database}-writer.lock"
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0  # the process that opened _fd

    def enter(self) -> bool:
        """Wait for this process's turn, then the file's; False (not held) on time-out."""
        deadline = time.monotonic() + WAIT_SECONDS
        if not self._threads.acquire(timeout=WAIT_SECONDS):
            log.warning("sqlite writer gate: no turn in %ss; writing ungated", WAIT_SECONDS)
            return False
        pause = 0.0001
        while True:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self._threads.release()
                    log.warning("sqlite writer gate: file locked for %ss; writing ungated",
                                WAIT_SECONDS)
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.001)

    def leave(self) -> None:
        fcntl.flock(self._file(), fcntl.LOCK_UN)
        self._threads.release()

    def _file(self) -> int:
        if self._fd is None or os.getpid() != self._pid:  # a forked worker opens its own
            self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self._fd


def connection_factory(database: str) -> type[sqlite3.Connection]:
    """A `sqlite3.connect(factory=...)` class whose connections pass `database`'s gate."""
    return type("GatedConnection", (GatedConnection,), {"gate": Gate(database)})


class GatedConnection(sqlite3.Connection):
    """A connection that takes its class's gate before its transaction's first write."""

    gate: Gate
    holds = False  # this connection's open transaction has the gate

    def cursor(self, factory=None):  # noqa: ANN001 - sqlite3's signature
        return super().cursor(factory or GatedCursor)

    # sqlite3's shortcuts make their cursor in C, past cursor() above.
    def execute(self, sql, parameters=()):  # noqa: ANN001
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters):  # noqa: ANN001
        return self.cursor().executemany(sql, seq_of_parameters)

    def take_gate(self) -> None:
        if not self.holds:
            self.holds = self.gate.enter()

    def give_gate(self) -> None:
        if self.holds:
            self.holds = False
            self.gate.leave()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.give_gate()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.give_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_gate()


class GatedCursor(sqlite3.Cursor):
    connection: GatedConnection

    def execute(self, sql, parameters=()):  # noqa: ANN001 - sqlite3's signature
        return self._run(super().execute, sql, parameters)

    def executemany(self, sql, seq_of_parameters):  # noqa: ANN001
        return self._run(super().executemany, sql, seq_of_parameters)

    def _run(self, run, sql, parameters):
        connection = self.connection
        if _WRITE.match(sql):
            connection.take_gate()
        try:
            return run(sql, parameters)
        finally:
            # A transaction can end without commit() or rollback(): the RELEASE of a
            # SAVEPOINT that began it (pysqlite opens none for it), an autocommit write.
            if connection.holds and not connection.in_transaction:
                connection.give_gate()
