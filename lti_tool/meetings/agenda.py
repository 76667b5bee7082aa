"""What a pair's meetings page shows beside its meetings, brought by the features above
meetings: the conversation guides chosen as a meeting's agenda (guides) and the action items
still open from earlier meetings (journal). They contribute here, as grades and health
subscribe to lti_tool/pairs/touched.py, so that meetings imports neither of them."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lti_tool.pairs.models import Pair


@dataclass
class Agenda:
    guides: dict[int, list[Any]] = field(default_factory=dict)  # meeting id -> guides chosen
    open_items: list[Any] = field(default_factory=list)  # action items still to do


Contributor = Callable[[Pair, Agenda], None]
_contributors: dict[str, Contributor] = {}


def contributes(name: str) -> Callable[[Contributor], Contributor]:
    """Register `contributor(pair, agenda)` under `name` (again: replaced, not added)."""

    def register(contributor: Contributor) -> Contributor:
        _contributors[name] = contributor
        return contributor

    return register


def for_pair(pair: Pair) -> Agenda:
    agenda = Agenda()
    for contributor in _contributors.values():
        contributor(pair, agenda)
    return agenda
