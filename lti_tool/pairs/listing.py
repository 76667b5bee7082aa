"""Search, filters, sort and paging of the matching page's two tables (proposed pairs and
published pairs), read from GET parameters. Rows are loaded in a fixed number of queries and
filtered in Python: a program has at most a few thousand pairs, and the page's query count
must not grow with it. Health (filter and column) comes from health_source.py when the
relationships feature has registered it."""

import math
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.pairs import figures, health_source
from lti_tool.pairs.models import AvoidedPair, MatchRun, Pair, Proposal

PAGE_SIZE = 25
LOW_SCORE = 50  # a score below this is "low" unless staff choose another bound
SHOWS = ("all", "low", "rule", "unmatched")
SORTS = ("mentee", "mentor", "score", "-score", "since", "until")


@dataclass(frozen=True)
class Query:
    """What staff asked to see: `q` a part of a name, `show` one of SHOWS, `mentor` a
    mentor's person id, `group` an LMS group, `health` a health status (published pairs
    only), `sort` one of SORTS, and the pages of each
    table (`page` for published pairs, `rpage` for proposed)."""

    q: str = ""
    show: str = "all"
    mentor: int | None = None
    group: str = ""
    health: str = ""
    below: int = LOW_SCORE
    sort: str = "mentee"
    page: int = 1
    rpage: int = 1

    @classmethod
    def from_args(cls, args) -> "Query":
        return cls(q=args.get("q", "").strip()[:100],
                   show=_one_of(args.get("show"), SHOWS),
                   mentor=args.get("mentor", type=int),
                   group=args.get("group", "").strip()[:200],
                   health=health_status(args.get("health")),
                   below=min(100, max(0, args.get("below", LOW_SCORE, type=int))),
                   sort=_one_of(args.get("sort"), SORTS),
                   page=max(1, args.get("page", 1, type=int)),
                   rpage=max(1, args.get("rpage", 1, type=int)))

    def args(self, **changes) -> dict[str, Any]:
        """The GET parameters of this query with `changes`, defaults left out (for links)."""
        values = {**self.__dict__, **changes}
        defaults = Query().__dict__
        return {k: v for k, v in values.items() if v not in (None, "") and v != defaults[k]}

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.show != "all" or self.mentor or self.group or self.health)


def health_status(value: str | None) -> str:
    """A status the health source knows, or "" (no filter)."""
    source = health_source.current()
    return value if source and value in source.statuses else ""


def health_options() -> list[tuple[str, str]]:
    """The health filter's (status, label) choices; none without a health source."""
    source = health_source.current()
    return [(status, source.label(status)) for status in source.statuses] if source else []


def mentors_in_health(program: Program, status: str) -> set[int]:
    """The person ids of the mentors with an active pair of this health status (the
    mentors page's filter), in one query beside the source's."""
    source = health_source.current()
    pair_ids = [pair_id for pair_id, found in (source.of_program(program) if source else {})
                .items() if found == status]
    return set(db.session.scalars(sa.select(Pair.mentor_id).where(Pair.id.in_(pair_ids)))) \
        if pair_ids else set()


def _one_of(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else allowed[0]


@dataclass
class Row:
    """One pair of either table with what the filters need."""

    item: Proposal | Pair
    mentee: Person
    mentor: Person
    groups: list[str]
    broken: bool  # breaks a never-pair rule or the group rule
    health: str | None = None  # a published pair's health status, when known
    health_label: str = ""  # that status in words

    @property
    def score(self) -> float:
        return self.item.score


@dataclass
class Page:
    rows: list[Row]
    number: int
    pages: int
    total: int  # rows matching the filters
    everything: int  # rows before filtering
    ids: list[int] = field(default_factory=list)  # every matching row's id (bulk actions)


class Context:
    """The program's rules, groups and pair health, loaded once for both tables (a fixed
    number of queries)."""

    def __init__(self, program: Program):
        self.program = program
        self.avoid = set(db.session.execute(sa.select(AvoidedPair.mentee_id,
                                                      AvoidedPair.mentor_id).where(
            AvoidedPair.program_id == program.id)).all())
        self.groups = figures.course_groups(program)
        self.group_rule = (program.constraints or {}).get("group_rule", "any")
        self.health_source = health_source.current()
        self.health = self.health_source.of_program(program) if self.health_source else {}

    def row(self, item: Proposal | Pair) -> Row:
        health = self.health.get(item.id) if isinstance(item, Pair) else None
        return Row(item, item.mentee, item.mentor, list(self.groups.get(item.mentee_id) or []),
                   self._broken(item.mentee_id, item.mentor_id), health,
                   self.health_label(health))

    def health_options(self) -> list[tuple[str, str]]:
        return health_options()

    def health_label(self, status: str | None) -> str:
        return self.health_source.label(status) if self.health_source and status else ""

    def _broken(self, mentee_id: int, mentor_id: int) -> bool:
        if (mentee_id, mentor_id) in self.avoid:
            return True
        shared = set(self.groups.get(mentee_id) or ()) & set(self.groups.get(mentor_id) or ())
        return (self.group_rule == "same" and not shared) or \
            (self.group_rule == "different" and bool(shared))

    def all_groups(self) -> list[str]:
        return sorted({g for groups in self.groups.values() for g in groups or ()})


def proposals(run: MatchRun) -> list[Proposal]:
    return list(db.session.scalars(sa.select(Proposal).where(Proposal.run_id == run.id).options(
        joinedload(Proposal.mentee), joinedload(Proposal.mentor)).order_by(Proposal.id)))


def published(program: Program) -> list[Pair]:
    return list(db.session.scalars(sa.select(Pair).where(
        Pair.program_id == program.id, Pair.status == "active").options(
        joinedload(Pair.mentee), joinedload(Pair.mentor)).order_by(Pair.id)))


def select(items: list, context: Context, query: Query, page: int) -> Page:
    """Filter, sort and cut one page of `items` as `query` says."""
    rows = [context.row(item) for item in items]
    kept = sorted((r for r in rows if _matches(r, query)), key=_sort_key(query.sort),
                  reverse=query.sort == "-score")
    pages = max(1, math.ceil(len(kept) / PAGE_SIZE))
    number = min(page, pages)
    start = (number - 1) * PAGE_SIZE
    return Page(kept[start:start + PAGE_SIZE], number, pages, len(kept), len(rows),
                [r.item.id for r in kept])


def _matches(row: Row, query: Query) -> bool:
    needle = query.q.casefold()
    if needle and needle not in row.mentee.display_name.casefold() \
            and needle not in row.mentor.display_name.casefold():
        return False
    if query.mentor and row.mentor.id != query.mentor:
        return False
    if query.group and query.group not in row.groups:
        return False
    if query.health and isinstance(row.item, Pair) and row.health != query.health:
        return False
    if query.show == "low":
        return row.score < query.below
    if query.show == "rule":
        return row.broken
    return True


def _sort_key(sort: str):
    def key(row: Row):
        if sort == "mentor":
            return (_name_key(row.mentor), _name_key(row.mentee))
        if sort in ("score", "-score"):
            return (row.score, _name_key(row.mentee))
        if sort == "since":
            return (str(getattr(row.item, "started_at", "") or ""), _name_key(row.mentee))
        if sort == "until":
            return (str(getattr(row.item, "ends_on", "") or ""), _name_key(row.mentee))
        return (_name_key(row.mentee),)
    return key


def _name_key(person: Person) -> tuple[str, str]:
    return ((person.family_name or "").casefold(), person.display_name.casefold())
