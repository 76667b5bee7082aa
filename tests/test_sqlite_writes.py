"""SQLite writers take turns at a gate (lti_tool/sqlite_writes.py): a second writer waits for
the first's transaction to end, by commit, rollback, close or a SAVEPOINT's RELEASE, and goes
on the moment it does."""

import sqlite3
import threading

import pytest

from lti_tool import create_app, sqlite_writes
from lti_tool.sqlite_writes import Gate, connection_factory


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "gate.db")
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE item (n INTEGER)")
    return path


def _connect(path: str, factory) -> sqlite3.Connection:
    # busy_timeout 0: were the gate not keeping the second writer out, SQLite would refuse it
    # at once ("database is locked") instead of waiting.
    connection = sqlite3.connect(path, factory=factory, timeout=0, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def _write_in_thread(connection: sqlite3.Connection, value: int) -> tuple[threading.Thread,
                                                                          threading.Event]:
    done = threading.Event()

    def write():
        connection.execute("INSERT INTO item VALUES (?)", (value,))
        connection.commit()
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    return thread, done


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_second_writer_waits_until_the_first_transaction_ends(database, end):
    factory = connection_factory(database)
    first, second = _connect(database, factory), _connect(database, factory)
    first.execute("INSERT INTO item VALUES (1)")
    assert first.holds

    thread, done = _write_in_thread(second, 2)
    assert not done.wait(0.3)  # held at the gate, not refused by SQLite
    getattr(first, end)()
    thread.join(5)
    assert done.is_set()
    rows = sorted(n for (n,) in second.execute("SELECT n FROM item"))
    assert rows == ([1, 2] if end == "commit" else [2])
    assert not second.holds


def test_readers_pass_while_a_writer_holds_the_gate(database):
    factory = connection_factory(database)
    writer, reader = _connect(database, factory), _connect(database, factory)
    writer.execute("INSERT INTO item VALUES (1)")
    assert reader.execute("SELECT count(*) FROM item").fetchone() == (0,)
    assert not reader.holds
    writer.commit()


def test_a_transaction_ended_by_releasing_its_savepoint_gives_the_gate_back(database):
    """pysqlite opens no transaction for a SAVEPOINT: its RELEASE commits, with no commit()."""
    factory = connection_factory(database)
    first, second = _connect(database, factory), _connect(database, factory)
    first.execute("SAVEPOINT one")
    first.execute("INSERT INTO item VALUES (1)")
    assert first.holds
    first.execute("RELEASE SAVEPOINT one")
    assert not first.in_transaction and not first.holds

    thread, done = _write_in_thread(second, 2)
    thread.join(5)
    assert done.is_set()


def test_processes_sharing_the_file_take_turns(database):
    """Two gates on one file stand for two worker processes: the file lock orders them."""
    one, other = Gate(database), Gate(database)
    assert one.enter()
    entered = threading.Event()
    thread = threading.Thread(target=lambda: other.enter() and entered.set())
    thread.start()
    assert not entered.wait(0.3)
    one.leave()
    thread.join(5)
    assert entered.is_set()
    other.leave()


def test_a_gate_held_too_long_is_given_up_on_with_a_log_line(database, monkeypatch, caplog):
    monkeypatch.setattr(sqlite_writes, "WAIT_SECONDS", 0.2)
    one, other = Gate(database), Gate(database)
    assert one.enter()
    assert other.enter() is False  # SQLite's own lock and busy timeout decide from here
    assert "writing ungated" in caplog.text
    one.leave()
    assert other.enter()
    other.leave()


def test_the_app_gates_a_file_database_only(tmp_path):
    def options(uri: str) -> dict:
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri}, env="testing")
        return app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})

    assert issubclass(options(f"sqlite:///{tmp_path}/tool.db")["factory"], sqlite3.Connection)
    assert "factory" not in options("sqlite://")
