"""Where the matching page finds each published pair's health. Health is assessed in
lti_tool/relationships, a layer above pairs, so relationships registers its source here (as
features above meetings contribute to meetings/agenda.py) and pairs imports none of it.
Without a registered source the page simply has no health filter or column."""

from collections.abc import Callable
from dataclasses import dataclass

from lti_tool.courses.models import Program


@dataclass(frozen=True)
class HealthSource:
    statuses: tuple[str, ...]  # every status, in the order the filter offers them
    label: Callable[[str], str]  # a status in words, in the reader's language
    of_program: Callable[[Program], dict[int, str]]  # active pair id -> status, in O(1) queries


_source: list[HealthSource] = []


def provide(source: HealthSource) -> None:
    """Register the source (again: replaced, not added)."""
    _source[:] = [source]


def current() -> HealthSource | None:
    return _source[0] if _source else None
