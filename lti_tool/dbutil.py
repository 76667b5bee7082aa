"""Statements both SQLite and PostgreSQL run the same way."""

from typing import Any

from lti_tool.extensions import db


def _insert(model):
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # the tool runs on SQLite and PostgreSQL
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


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
