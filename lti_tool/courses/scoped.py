"""Rows reached through an id in a URL, scoped to the session: `in_program(Model, id)` loads the
row by its primary key and answers 404 unless it belongs to the program of the launched
activity (`current_program()`; `in_course`: the session's course). Changing an id in a URL
never reaches another program's rows, nor tells whether they exist: the same 404 as an id
that exists nowhere, and a session without an activity is told so (400) before any row is read.

A row holding `program_id` needs nothing more. A row that reaches its program through parents
(a recap through its pair, a milestone through its goal and the goal's pair) is declared once
with `program_through`, beside the views that load it; the loader then reads the row and those
parents in one query, the program compared in SQL.

The pair's own rule (only its two members reach what a pair keeps) is added on top by
lti_tool/pairs/members.py (`member_pair`, `member_row`)."""

from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, g
from sqlalchemy.orm import InstrumentedAttribute, contains_eager

from lti_tool.courses.access import current_program
from lti_tool.extensions import db

Row = TypeVar("Row")
Relation = InstrumentedAttribute[Any]

# model -> the relationships from it to the row that holds its program id
_PATHS: dict[type, tuple[Relation, ...]] = {}


def program_through(model: type, *path: Relation) -> None:
    """Declare how rows of `model` reach their program: the relationships followed from a row
    to the one holding `program_id`, e.g. `program_through(Milestone, Milestone.goal,
    Goal.pair)`."""
    target = path[-1].property.mapper.class_
    if not hasattr(target, "program_id"):
        raise TypeError(f"{model.__name__}: {target.__name__} holds no program_id")
    _PATHS[model] = path


def in_program(model: type[Row], row_id: int) -> Row:
    """The row of `model` with this id, if it belongs to the launched program; else 404."""
    return _load(model, row_id, "program_id", current_program().id)


def in_course(model: type[Row], row_id: int) -> Row:
    """The row of `model` with this id, if it belongs to the session's course; else 404."""
    return _load(model, row_id, "course_id", g.enrolment.course_id)


def owner(row: Any) -> Any:
    """The row that holds the program id: `row` itself, or the last parent on its declared
    path (a recap's pair, a proposal's matching run)."""
    for relation in _PATHS.get(type(row), ()):
        row = getattr(row, relation.key)
    return row


def _load(model: type[Row], row_id: int, column: str, value: int) -> Row:
    """One query: the row, joined to its parents up to its owner (loaded with it), where the
    owner's `column` is `value`; 404 when there is no such row."""
    (key,) = sa.inspect(model).primary_key
    path = _PATHS.get(model, ())
    holder = path[-1].property.mapper.class_ if path else model
    query = sa.select(model).where(key == row_id, getattr(holder, column) == value)
    if path:
        eager = contains_eager(path[0])
        for relation in path[1:]:
            eager = eager.contains_eager(relation)
        for relation in path:
            query = query.join(relation)
        query = query.options(eager)
    row = db.session.scalars(query).one_or_none()
    if row is None:
        abort(404)
    return row
