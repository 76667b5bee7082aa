"""Every route that takes an id, read from the app's URL map (a new route is checked without
being listed here): a row of another program is a 404 (another program of the same course, and
a program of another course), and a person of the program who may not touch the row is a 403
(not a member of its pair, staff included; or not staff). What an id names is looked up in
`ROWS` by the argument's name: a route with an id nobody has described here fails, it is
never skipped silently."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool import create_app
from lti_tool.courses.models import Course, Enrolment, Person, Program, ResourceLink, Role
from lti_tool.extensions import db
from lti_tool.grades.models import GradeRecord
from lti_tool.guides.models import Guide, GuideUse
from lti_tool.intake.models import Mentor, Question
from lti_tool.journal.models import ActionItem, Recap
from lti_tool.meetings.models import Meeting, ProgramEvent
from lti_tool.pairs.models import AvoidedPair, MatchRun, MentorRequest, Pair, Proposal
from lti_tool.relationships.models import Story
from lti_tool.timeutil import utcnow
from lti_tool.workspace.models import Goal, Milestone
from tests.support.clients import Participant

# What an id in a URL names: argument name -> row (a blueprint's own meaning first).
ROWS = {
    "pair_id": "pair", "recap_id": "recap", "item_id": "action", "meeting_id": "meeting",
    "goal_id": "goal", "milestone_id": "milestone", "use_id": "guide_use", "guide_id": "guide",
    "event_id": "event", "run_id": "run", "proposal_id": "proposal", "mentor_id": "mentor",
    "question_id": "question", "rule_id": "avoided", "request_id": "mentor_request",
    "story_id": "story", "program_id": "program",
    ("grades", "person_id"): "graded",  # a person with a grade in the program
    ("privacy", "person_id"): "enrolled",  # a person of the course
}
# Rows of a pair: outside staff's own pages, only its two members reach them (staff get 403).
PAIR_ROWS = {"pair", "recap", "action", "meeting", "goal", "milestone", "guide_use"}
# Rows of the course rather than of a program: only another course's are out of reach.
COURSE_ROWS = {"program", "enrolled"}
# Path arguments that are not ids, and a value each.
VALUES = {"kind": "nudge", "decision": "approve"}
# Routes whose id is not a row of a program, and why.
NOT_PROGRAM_ROWS = {
    "static": "a file name",
    "admin.": "administrator pages (cookie sign-in): platforms and registration links belong "
              "to no program; tests/web/test_access.py checks they need the admin token",
    "sandbox.": "the sandbox LMS, another site: its own ids, no session of the tool",
    "meetings.feed": "anonymous: the unguessable token is the key",
    "notify.unsubscribe_page": "anonymous: the signed token names the person (tests/notify)",
    "lti.dynamic_registration": "anonymous: an administrator's single-use secret",
    "landing.go": "anonymous: the signed token names the person, program and page "
                  "(tests/launches/test_landing.py)",
}
# Pages any person of the program may use with a row of it, and what they answer instead.
OPEN_TO_THE_PROGRAM = {
    "meetings.rsvp": "anyone of the program answers an event",
    "pairs.answer_request": "the service tells anyone but the mentor asked (a 303, a message)",
}


def _rules():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, env="testing")
    rules = [r for r in app.url_map.iter_rules() if r.arguments]
    return sorted(rules, key=lambda r: (r.endpoint, r.rule))


def _skipped(endpoint: str) -> str | None:
    return next((why for prefix, why in NOT_PROGRAM_ROWS.items()
                 if endpoint == prefix or (prefix.endswith(".") and endpoint.startswith(prefix))),
                None)


def _routes(open_ones_skipped: bool = False):
    """(endpoint, method, rule) for every route with arguments, GET and POST."""
    params = []
    for rule in _rules():
        for method in sorted({"GET", "POST"} & rule.methods):
            why = _skipped(rule.endpoint) or (
                open_ones_skipped and OPEN_TO_THE_PROGRAM.get(rule.endpoint))
            marks = [pytest.mark.skip(reason=f"{rule.endpoint}: {why}")] if why else []
            params.append(pytest.param(rule.endpoint, method, rule.rule, marks=marks,
                                       id=f"{method} {rule.rule}"))
    return params


ROUTES = _routes()
GUARDED_ROUTES = _routes(open_ones_skipped=True)


def row_of(endpoint: str, arg: str) -> str:
    found = ROWS.get((endpoint.split(".")[0], arg), ROWS.get(arg))
    if found is None:
        pytest.fail(f"{endpoint} takes <{arg}>: say in ROWS what it names, and build one in "
                    "_rows_of(), so that its scoping is tested")
    return found


def ids_of(rule: str) -> list[str]:
    return [arg for arg in _arguments(rule) if arg.endswith("_id")]


def _arguments(rule: str) -> list[str]:
    return [part.split(">")[0].split(":")[-1] for part in rule.split("<")[1:]]


def url(endpoint: str, rule: str, rows: dict[str, int], foreign: dict[str, int] | None = None,
        arg: str | None = None) -> str:
    """The rule's path with the program's own rows, except `arg` taken from `foreign`."""
    path = rule
    for name in _arguments(rule):
        if name.endswith("_id"):
            value = (foreign if name == arg else rows)[row_of(endpoint, name)]
        elif name in VALUES:
            value = VALUES[name]
        else:
            pytest.fail(f"{rule}: give <{name}> a value in VALUES")
        path = path.replace(path[path.index("<"):path.index(">") + 1], str(value), 1)
    return path


class Visitor:
    """A person signed in to the program's activity, with their own session token."""

    ROLES = {"Instructor": Role.STAFF, "Mentor": Role.MENTOR, "Learner": Role.LEARNER}

    def __init__(self, app, platform, name: str, sub: str, lis_role: str):
        self.name, self.role = name, self.ROLES[lis_role]
        person = Participant(app, platform, sub, lis_role, f"{name.title()} Person")
        self.client, self.token = person.client, person.token
        with app.app_context():
            self.id = db.session.scalars(sa.select(Person.id).filter_by(subject=sub)).one()

    def open(self, method: str, path: str) -> int:
        return self.client.open(path, method=method, query_string={"pw": self.token}).status_code

    def may_open(self, view) -> bool:
        """Whether the view's role check lets this person in (role_required records it)."""
        roles = getattr(view, "roles", None)
        return roles is None or self.role in roles


@pytest.fixture
def world(app, platform):
    """The program's staff, a pair's mentee and a learner in no pair, signed in; a row of every
    kind in the program, in another program of the course (whose pair has the same two
    members) and in a program of another course."""
    app.config["WTF_CSRF_ENABLED"] = False  # reach the checks of a POST, not its CSRF check
    people = {name: Visitor(app, platform, name, sub, role) for name, sub, role in (
        ("staff", "1", "Instructor"), ("mentee", "10", "Learner"), ("outsider", "11", "Learner"))}
    with app.app_context():
        rows = _programs(people["mentee"].id)
    return people, rows


def _programs(mentee: int) -> dict[str, dict[str, int]]:
    link = db.session.scalars(sa.select(ResourceLink)).one()
    course = link.course
    mentor = _person(course, "mentor", Role.MENTOR)
    other_course = Course(platform_id=course.platform_id, context_id="elsewhere")
    sibling = Program(course=course, title="Another program of the course")
    elsewhere = Program(course=other_course, title="A program of another course")
    db.session.add_all([sibling, elsewhere])
    db.session.flush()
    graded_in_sibling = _person(course, "graded-in-the-sibling-only")
    carl, cora = _person(other_course, "carl"), _person(other_course, "cora")
    rows = {"own": _rows_of(link.program, mentee, mentor, graded=mentee),
            "sibling": _rows_of(sibling, mentee, mentor, graded=graded_in_sibling),
            "elsewhere": _rows_of(elsewhere, carl, cora, graded=carl)}
    db.session.commit()
    return rows


def _person(course: Course, subject: str, role: Role = Role.LEARNER) -> int:
    person = Person(platform_id=course.platform_id, subject=subject, name=subject.title())
    db.session.add(Enrolment(course=course, person=person, role=role))
    db.session.flush()
    return person.id


def _rows_of(program: Program, mentee: int, mentor: int, graded: int) -> dict[str, int]:
    """One row of every kind an id in a URL names, in `program`; kind -> id."""
    later = utcnow() + timedelta(days=7)
    pair = Pair(program_id=program.id, mentee_id=mentee, mentor_id=mentor)
    goal = Goal(pair=pair, title="A goal", created_by_id=mentee, updated_by_id=mentee)
    guide = Guide(program_id=program.id, slug="a-guide", title="A guide")
    run = MatchRun(program_id=program.id)
    rows = {
        "pair": pair, "goal": goal, "guide": guide, "run": run,
        "recap": Recap(pair=pair, author_id=mentee, takeaways="What we said"),
        "action": ActionItem(pair=pair, title="To do", owner_id=mentee, created_by_id=mentee),
        "meeting": Meeting(pair=pair, proposed_by_id=mentee, timezone="UTC", start_at=later,
                           status="scheduled", uid=f"meeting-{program.id}@scoping"),
        "milestone": Milestone(goal=goal, title="A step"),
        "guide_use": GuideUse(pair=pair, guide=guide, chosen_by_id=mentee),
        "event": ProgramEvent(program_id=program.id, title="An event", start_at=later,
                              timezone="UTC", uid=f"event-{program.id}@scoping"),
        "proposal": Proposal(run=run, mentee_id=mentee, mentor_id=mentor),
        "mentor": Mentor(program_id=program.id, person_id=mentor, source="designated"),
        "question": Question(program_id=program.id, prompt="A question?"),
        "avoided": AvoidedPair(program_id=program.id, mentee_id=mentee, mentor_id=mentor),
        "mentor_request": MentorRequest(program_id=program.id, mentee_id=mentee,
                                        mentor_id=mentor, respond_by=later),
        "story": Story(program_id=program.id, author_id=mentee, title="A story", body="Ours.",
                       role="mentee"),
    }
    db.session.add_all([*rows.values(), GradeRecord(program_id=program.id, person_id=graded)])
    db.session.flush()
    return {**{kind: row.id for kind, row in rows.items()},
            "program": program.id, "graded": graded, "enrolled": mentee}


@pytest.mark.parametrize(("endpoint", "method", "rule"), ROUTES)
def test_another_programs_row_is_a_404(app, world, endpoint, method, rule):
    """As the pair's mentee (who is also the mentee of the other program's pair) and, where
    one id is all the route takes, as staff: 404, or the role check's 403 first. Then the
    program's own row, as someone the role check lets in: reached (neither 403 nor 404)."""
    people, rows = world
    view, ids = app.view_functions[endpoint], ids_of(rule)
    assert ids, f"{rule} takes no id: add it to NOT_PROGRAM_ROWS with the reason"
    visitors = [people["mentee"]] + ([people["staff"]] if len(ids) == 1 else [])
    wrong = []
    for arg in ids:
        places = ("elsewhere",) if row_of(endpoint, arg) in COURSE_ROWS else (
            "sibling", "elsewhere")
        for place, who in ((place, who) for place in places for who in visitors):
            path = url(endpoint, rule, rows["own"], rows[place], arg)
            expected = 404 if who.may_open(view) else 403
            if (got := who.open(method, path)) != expected:
                wrong.append(f"{who.name}, <{arg}> of the {place} program: {got} not {expected}")
    assert not wrong, f"{method} {rule}: " + "; ".join(wrong)
    allowed = next(who for who in (people["mentee"], people["staff"]) if who.may_open(view))
    assert allowed.open(method, url(endpoint, rule, rows["own"])) not in (403, 404)


@pytest.mark.parametrize(("endpoint", "method", "rule"), GUARDED_ROUTES)
def test_a_row_of_the_program_is_a_403_to_whoever_may_not_touch_it(app, world, endpoint,
                                                                   method, rule):
    """A learner of the program in no pair; and staff, on a pair's rows outside staff's own
    pages: staff are not members, what a pair writes is theirs."""
    people, rows = world
    view, path = app.view_functions[endpoint], url(endpoint, rule, rows["own"])
    refused = [people["outsider"]]
    kinds = {row_of(endpoint, arg) for arg in ids_of(rule)}
    if kinds & PAIR_ROWS and getattr(view, "roles", None) is None:  # a page anyone may open
        refused.append(people["staff"])
    got = {who.name: who.open(method, path) for who in refused}
    assert got == {who.name: 403 for who in refused}, f"{method} {path}"
