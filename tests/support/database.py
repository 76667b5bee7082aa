"""One database per test session (and per xdist worker), its schema made once; every app a
test makes starts from empty tables.

Making the 70 tables for every test cost more than most tests themselves. Instead the schema
is made the first time a process meets a database URL, and `empty` deletes every row when a
test's app is made (not after the test: a test that failed half-way leaves nothing behind for
the next one either way). SQLite numbers rows from 1 again once a table is empty; PostgreSQL
is told to (every sequence is set back), so ids are the same on both.
"""

import os

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from lti_tool.extensions import db

_ready: set[str] = set()  # database URLs whose schema this process has made


def worker_url(url: str) -> str:
    """The PostgreSQL database of this xdist worker (`<name>_gw0`, ...), made empty; the URL
    itself outside xdist and for SQLite (whose file is already the worker's own)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    parsed = make_url(url)
    if not worker or not parsed.get_backend_name().startswith("postgresql"):
        return url
    name = f"{parsed.database}_{worker}"
    engine = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def prepare(app) -> None:
    """Make the schema once per database, then empty every table. Needs an app context."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url not in _ready:
        db.drop_all()
        db.create_all()
        _ready.add(url)
    empty()


def empty() -> None:
    """Delete every row, children first. On PostgreSQL, DELETE of the few rows a test made is
    ~70 times faster than TRUNCATE of every table (which makes new files for each), so it is
    DELETE there too, then every sequence starts again from 1."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        quote = connection.dialect.identifier_preparer.quote
        # As plain SQL: each test's engine is new, and compiling 68 DELETEs cost more than
        # running them.
        deletes = [f"DELETE FROM {quote(t.name)}" for t in tables]  # noqa: S608
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("; ".join(deletes))
            connection.exec_driver_sql(
                "SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'")
        else:
            for delete in deletes:
                connection.exec_driver_sql(delete)


def forget(url: str) -> None:
    """The schema of `url` was changed behind our back (tests/test_migrations.py)."""
    _ready.discard(url)
