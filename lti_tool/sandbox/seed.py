"""`seed_cohort`: a program of the size a university runs, made up in the sandbox so that every
staff page can be tried and benchmarked at size, and a newcomer sees a living program.

It adds, in the sandbox course, a graded activity and its program; learners and mentors who
are real sandbox LMS users (they can launch) and enrolled people in the tool; an intake for
each (topics, expertise, languages, zones, availability) and mentors' capacities; pairs
matched by the real matching service (`pairs.services.propose`); and a semester of activity
over `weeks`: weekly meetings with attendance (some missed, a few disputed), recaps, action
items, messages, check-ins, agreements, a few ended pairs and quiet ones that are at risk.
Grades are recomputed at the end as the `flask grades recompute` command does.

History is written as rows (bulk inserts), not through the services that notify: seeding
queues no e-mail. Publishing makes the same pair rows as `publish` (from the run's
proposals, the run marked published) without telling anyone. Deterministic for a seed
(the rows' content; the clock sets the dates). Refuses to run twice in one sandbox.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool.courses.models import Course, Enrolment, Person, Program, ResourceLink
from lti_tool.extensions import db
from lti_tool.grades import services as grades
from lti_tool.intake.models import Mentor, MentorPool, Profile
from lti_tool.journal.models import ActionItem, Message, Recap
from lti_tool.lti.advantage import PARTICIPATION_TAG
from lti_tool.lti.models import Deployment, Platform
from lti_tool.lti.roles import Role
from lti_tool.meetings.models import Attendance, Meeting
from lti_tool.meetings.services import occurrences
from lti_tool.pairs import services as matching
from lti_tool.pairs.models import Pair
from lti_tool.sandbox import grades as lms_grades
from lti_tool.sandbox import launch as lms_launch
from lti_tool.sandbox import lms, platform
from lti_tool.sandbox.models import Membership, User
from lti_tool.surveys.models import SurveyResponse
from lti_tool.timeutil import utcnow
from lti_tool.workspace.models import AgreementVersion

PROGRAM_TITLE = "Mentoring program (seeded cohort)"
USERNAME_PREFIX = "seed."
FIRST_USER_ID = 10000  # sandbox user ids of seeded people (the demo people have 3 to 10)
STAFF_USER_ID = "3"  # the demo course's teacher, Iris
GROUPS = ("21", "22", "23", "24")
LANGUAGES = ("en", "en", "en", "de", "es", "fr", "ja", "pt")
GIVEN = ("Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas",
         "Kemi", "Lars", "Maya", "Nico", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tomás",
         "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe")
FAMILY = ("Andersen", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad",
          "Ito", "Jansen", "Kowalski", "López", "Müller", "Nakamura", "Okafor", "Petrov",
          "Quint", "Rossi", "Sato", "Tanaka", "Urban", "Varga", "Weber", "Xu", "Yilmaz",
          "Zhang")
CAPACITIES = (1, 2, 2, 3, 3, 3, 4, 5)
# How a pair behaves over the semester: (name, weight, chance of meeting in a given week).
STYLES = (("engaged", 55, 0.9), ("occasional", 25, 0.55), ("faded", 12, 0.7),
          ("silent", 8, 0.0))
TAKEAWAYS = ("Mapped the next steps for the internship search.",
             "Talked through the feedback on the first draft.",
             "Planned how to prepare for the oral exam.",
             "Shared resources on public speaking.")
ACTIONS = ("Update the CV", "Read the article we discussed", "Draft the project outline",
           "Book a session at the careers office", "Practise the presentation")
MESSAGES = ("Thanks for today, see you next week!", "Could we move Thursday by an hour?",
            "I found the link I mentioned.", "How did the interview go?",
            "Sorry, I'm late with the recap.")


class SeedError(Exception):
    """Seeding cannot start; the message says why."""


@dataclass(frozen=True)
class SeedOptions:
    learners: int = 500
    mentors: int = 120
    zones: Sequence[str] = ("Europe/Berlin", "America/New_York", "Asia/Tokyo")
    weeks: int = 8
    seed: int = 1
    now: datetime | None = None  # the semester ends now (tests fix it: the same rows)


@dataclass
class SeedResult:
    program_id: int
    activity_id: int
    staff_enrolment_id: int
    resource_link_id: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Place:
    """Where the program lives, on both sides."""

    course: Course
    program: Program
    link: ResourceLink
    activity_id: int
    staff: Enrolment


def seed_cohort(options: SeedOptions) -> SeedResult:
    """Seed the sandbox course (after `setup_sandbox`); commits."""
    _check(options)
    rng = random.Random(options.seed)  # noqa: S311 - made-up demo data, not secrets
    now = options.now or utcnow()
    place = _place()
    learners, mentors = _people(place, options, rng)
    started = now - timedelta(weeks=options.weeks, days=3)
    _intakes(place, options, rng, learners, mentors, started - timedelta(days=7))
    pairs = _matched(place, started)
    counts = _semester(place, options, rng, pairs, started, now)
    grades.recompute(place.program, trigger="seed", now=now)
    db.session.commit()
    counts.update(learners=len(learners), mentors=len(mentors), pairs=len(pairs))
    return SeedResult(place.program.id, place.activity_id, place.staff.id, place.link.id,
                      counts)


def _check(options: SeedOptions) -> None:
    if options.learners < 1 or options.mentors < 1 or options.weeks < 1:
        raise SeedError("Give at least one learner, one mentor and one week.")
    if not options.zones:
        raise SeedError("Give at least one time zone.")
    if platform.current_registration() is None or lms.get_course(lms.COURSE_ID) is None:
        raise SeedError("Run `flask sandbox setup` first.")
    seeded = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.username.startswith(USERNAME_PREFIX)))
    if seeded:
        raise SeedError(f"The sandbox already has a seeded cohort ({seeded} people): seeding "
                        "runs once. Start from an empty database to seed again.")


# --- Where: the activity, the program, its staff ---------------------------------------------

@dataclass
class PlacedProgram:
    """A program placed in the sandbox course as a graded activity, on both sides."""

    course: Course
    program: Program
    link: ResourceLink
    activity_id: int
    lineitem_id: int


def place_program(title: str, *, score_maximum: int = 100, term_weeks: int | None = None,
                  lineitem_url: bool = True) -> PlacedProgram:
    """A program in the sandbox course as deep linking places one: the tool's course, program
    and resource link, the LMS's activity and line item (tagged for participation). Flushes.
    `lineitem_url=False`: the tool knows the line-item container only (it finds the item)."""
    tool = platform.current_registration()
    lms_course = lms.get_course(lms.COURSE_ID)
    if tool is None or lms_course is None:
        raise SeedError("Run `flask sandbox setup` first.")
    tool_platform = db.session.scalars(sa.select(Platform).where(
        Platform.client_id == tool.client_id)).one()
    deployment = db.session.scalars(sa.select(Deployment).filter_by(
        platform_id=tool_platform.id, deployment_id=tool.deployment_id)).one()
    course = db.session.scalars(sa.select(Course).filter_by(
        platform_id=tool_platform.id, context_id=lms_course.id)).first()
    if course is None:
        course = Course(platform_id=tool_platform.id, context_id=lms_course.id,
                        label=lms_course.label, title=lms_course.title)
        db.session.add(course)
    course.nrps_url = lms_launch.memberships_url(lms_course, tool)
    program = Program(course=course, title=title, score_maximum=score_maximum,
                      **({"term_weeks": term_weeks} if term_weeks else {}))
    db.session.add(program)
    db.session.flush()
    activity = lms.add_activity(lms_course, tool, title, tool.launch_url,
                                custom={"pairwise_program": program.key})
    item = lms_grades.create_lineitem(lms_course.id, tool, {
        "label": title, "scoreMaximum": program.score_maximum,
        "tag": PARTICIPATION_TAG, "resourceId": program.key}, activity=activity, primary=True)
    link = ResourceLink(course=course, deployment=deployment, program=program,
                        link_id=str(activity.id), title=title,
                        ags_lineitems_url=lms_grades.lineitems_url(lms_course.id, tool),
                        ags_lineitem_url=lms_grades.lineitem_url(item) if lineitem_url else None,
                        ags_scopes=list(platform.AGS_SCOPES))
    db.session.add(link)
    db.session.flush()
    return PlacedProgram(course, program, link, activity.id, item.id)


def _place() -> _Place:
    placed = place_program(PROGRAM_TITLE, term_weeks=16)
    staff = _staff_enrolment(placed.course, placed.course.platform)
    db.session.flush()
    return _Place(placed.course, placed.program, placed.link, placed.activity_id, staff)


def _staff_enrolment(course: Course, tool_platform: Platform) -> Enrolment:
    """The demo teacher as the tool knows her (a launch may have made her already)."""
    user = db.session.get(User, STAFF_USER_ID)
    if user is None:
        raise SeedError("The demo course has no teacher: run `flask sandbox setup` first.")
    person = db.session.scalars(sa.select(Person).filter_by(
        platform_id=tool_platform.id, subject=STAFF_USER_ID)).first()
    if person is None:
        person = Person(platform_id=tool_platform.id, subject=STAFF_USER_ID, name=user.name,
                        given_name=user.given_name, family_name=user.family_name,
                        email=user.email, username=user.username)
        db.session.add(person)
        db.session.flush()
    enrolment = db.session.scalars(sa.select(Enrolment).filter_by(
        course_id=course.id, person_id=person.id)).first()
    if enrolment is None:
        enrolment = Enrolment(course=course, person=person, role=Role.STAFF, source="roster",
                              lis_roles=lms.role_uris(lms.INSTRUCTOR))
        db.session.add(enrolment)
    return enrolment


# --- Who: LMS users, tool people and enrolments -----------------------------------------------

def _people(place: _Place, options: SeedOptions, rng: random.Random
            ) -> tuple[list[int], list[int]]:
    """Bulk-insert the people on both sides; (learner person ids, mentor person ids)."""
    roles = [lms.LEARNER] * options.learners + [lms.MENTOR] * options.mentors
    users: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    for n, lms_role in enumerate(roles):
        user_id = str(FIRST_USER_ID + n)
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        kind = "learner" if lms_role == lms.LEARNER else "mentor"
        username = f"{USERNAME_PREFIX}{kind}{n + 1:04d}"
        email = f"{username}@example.com"
        groups = [GROUPS[n % len(GROUPS)]]
        users.append({"id": user_id, "username": username, "given_name": given,
                      "family_name": family, "email": email})
        memberships.append({"course_id": lms.COURSE_ID, "user_id": user_id, "role": lms_role,
                            "groups": groups})
        people.append({"platform_id": place.course.platform_id, "subject": user_id,
                       "name": f"{given} {family}", "given_name": given,
                       "family_name": family, "email": email, "username": username})
    db.session.execute(sa.insert(User), users)
    db.session.execute(sa.insert(Membership), memberships)
    db.session.execute(sa.insert(Person), people)
    ids = dict(db.session.execute(sa.select(Person.subject, Person.id).where(
        Person.platform_id == place.course.platform_id,
        Person.subject.in_([u["id"] for u in users]))).all())
    enrolments = [{"course_id": place.course.id, "person_id": ids[m["user_id"]],
                   "role": Role.LEARNER if m["role"] == lms.LEARNER else Role.MENTOR,
                   "lis_roles": lms.role_uris(m["role"]), "source": "roster",
                   "groups": m["groups"], "active": True} for m in memberships]
    db.session.execute(sa.insert(Enrolment), enrolments)
    person_ids = [ids[u["id"]] for u in users]
    return person_ids[:options.learners], person_ids[options.learners:]


# --- What they said: intakes and capacities ---------------------------------------------------

def _intakes(place: _Place, options: SeedOptions, rng: random.Random,
             learners: list[int], mentors: list[int], completed: datetime) -> None:
    topics = list(place.program.topics)
    now = completed  # the intakes were filled in the week before matching
    rows = [_profile(place.program.id, pid, options.zones, topics, rng, now, mentor=False)
            for pid in learners]
    rows += [_profile(place.program.id, pid, options.zones, topics, rng, now, mentor=True)
             for pid in mentors]
    db.session.execute(sa.insert(Profile), rows)
    capacities = [rng.choice(CAPACITIES) for _ in mentors]
    db.session.execute(sa.insert(MentorPool), [
        {"person_id": pid, "capacity": cap} for pid, cap in zip(mentors, capacities, strict=True)])
    db.session.execute(sa.insert(Mentor), [
        {"program_id": place.program.id, "person_id": pid, "source": "lms_role",
         "approved": True, "capacity": min(cap, place.program.max_capacity)}
        for pid, cap in zip(mentors, capacities, strict=True)])


def _profile(program_id: int, person_id: int, zones: Sequence[str], topics: list[str],
             rng: random.Random, now: datetime, mentor: bool) -> dict:
    chosen = rng.sample(topics, k=min(len(topics), rng.randint(2, 4)))
    languages = sorted({"en", rng.choice(LANGUAGES)} if rng.random() < 0.8
                       else {rng.choice(LANGUAGES)})
    return {"program_id": program_id, "person_id": person_id,
            "topics": [] if mentor else chosen, "expertise": chosen if mentor else None,
            "goals_text": "", "bio": "", "languages": languages,
            "timezone": zones[rng.randrange(len(zones))], "availability": _availability(rng),
            "modality": rng.choice(("video", "video", "in_person", "phone")),
            "preferences": "", "answers": {}, "volunteers_to_mentor": False,
            "completed_at": now, "updated_at": now}


def _availability(rng: random.Random) -> list[list[int]]:
    """Two to four blocks of one to three hours, mostly on weekdays, in the person's zone,
    as the intake stores them: sorted [day, minute] half hours."""
    slots = set()
    for _ in range(rng.randint(2, 4)):
        day = rng.randrange(5) if rng.random() < 0.85 else rng.choice((5, 6))
        first = rng.randint(7, 20)
        for minute in range(first * 60, min(24, first + rng.randint(1, 3)) * 60, 30):
            slots.add((day, minute))
    return [list(slot) for slot in sorted(slots)]


# --- Pairs: the real proposal, published as `publish` makes pairs -----------------------------

def _matched(place: _Place, started: datetime) -> list[Pair]:
    """Propose with the program's policy, then the pairs `publish` would make, started
    `started` (the beginning of the seeded semester), without the e-mails it sends."""
    staff = place.staff.person
    run = matching.propose(place.program, staff, place.program.policy)
    rows = [{"program_id": place.program.id, "run_id": run.id, "mentee_id": p.mentee_id,
             "mentor_id": p.mentor_id, "score": p.score, "explanation": p.explanation,
             "slot": p.slot, "status": "active", "started_at": started,
             "ends_on": matching.term_end(place.program, started.date()),
             "extensions": [], "end_reason": ""} for p in run.proposals]
    run.status, run.published_at = "published", started
    db.session.execute(sa.insert(Pair), rows)
    return list(db.session.scalars(sa.select(Pair).where(
        Pair.program_id == place.program.id).order_by(Pair.id)))


# --- A semester of activity -------------------------------------------------------------------

@dataclass
class _Rows:
    meetings: list[dict] = field(default_factory=list)
    attendance: list[tuple[str, dict]] = field(default_factory=list)  # (meeting uid, row)
    recaps: list[tuple[str, dict]] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    checkins: list[dict] = field(default_factory=list)
    agreements: list[dict] = field(default_factory=list)
    disputed: int = 0  # occurrences the two members describe differently


def _semester(place: _Place, options: SeedOptions, rng: random.Random, pairs: list[Pair],
              started: datetime, now: datetime) -> dict[str, int]:
    rows = _Rows()
    for n, pair in enumerate(pairs):
        style, chance = _style(rng)
        _pair_history(rows, place, options, rng, pair, n, style, chance, started, now)
        if style == "faded" and rng.random() < 0.3:
            ended_at = now - timedelta(days=rng.randint(3, 10))
            pair.status, pair.ended_at = "ended", ended_at
            pair.end_reason = "The mentee left the course."
            _series_ends(rows, pair, ended_at)
    _insert(rows)
    return {"meetings": len(rows.meetings), "attendance": len(rows.attendance),
            "recaps": len(rows.recaps), "action_items": len(rows.actions),
            "messages": len(rows.messages), "checkins": len(rows.checkins),
            "agreements": len(rows.agreements), "disputed": rows.disputed,
            "ended": sum(1 for p in pairs if p.status == "ended")}


def _style(rng: random.Random) -> tuple[str, float]:
    name, _, chance = rng.choices(STYLES, weights=[weight for _, weight, _ in STYLES])[0]
    return name, chance


def _pair_history(rows: _Rows, place: _Place, options: SeedOptions, rng: random.Random,
                  pair: Pair, n: int, style: str, chance: float, started: datetime,
                  now: datetime) -> None:
    """One pair's semester: a weekly series, what happened at each past meeting, and what
    they wrote. A faded pair stops after the first half; a silent one never met."""
    if style != "silent":
        meeting = _series(pair, n, options, rng, started, place.program.meeting_minutes)
        rows.meetings.append(meeting)
        active_until = started + timedelta(weeks=options.weeks / 2) if style == "faded" else now
        for week, occurrence in enumerate(occurrences(_as_meeting(meeting))):
            if occurrence.end > now or occurrence.start > active_until:
                continue
            _occurrence(rows, pair, meeting["uid"], occurrence.original_start, week, rng,
                        chance)
    if style in ("engaged", "occasional") and rng.random() < 0.7:
        rows.agreements.append(_agreement(pair, started, rng))
    for week in range(options.weeks):
        day = started + timedelta(weeks=week, days=rng.randint(0, 6), hours=rng.randint(8, 20))
        if day > now or style == "silent" or (style == "faded" and week >= options.weeks / 2):
            continue
        _week_writing(rows, place, pair, day, week, rng)


def _series_ends(rows: _Rows, pair: Pair, ended_at: datetime) -> None:
    """An ended pair's series stops where the pair did, as ending a pair makes it
    (meetings/services.py `end_with_pair`): nothing of it is still to come."""
    for meeting in rows.meetings:
        if meeting["pair_id"] == pair.id:
            held = [o for o in occurrences(_as_meeting(meeting)) if o.start < ended_at]
            meeting["recurrence"]["count"] = max(1, len(held))


def _series(pair: Pair, n: int, options: SeedOptions, rng: random.Random, started: datetime,
            minutes: int) -> dict:
    """A weekly series at the time matching suggested (else 17:00 UTC), from the first week."""
    suggested = pair.slot.get("start_utc") if pair.slot else None
    at = datetime.fromisoformat(suggested).astimezone(UTC).time() if suggested else time(17)
    first = datetime.combine((started + timedelta(days=rng.randint(1, 6))).date(), at,
                             tzinfo=UTC)
    return {"pair_id": pair.id, "proposed_by_id": pair.mentee_id, "status": "scheduled",
            "start_at": first, "minutes": minutes, "timezone": "UTC",
            "modality": "video", "agenda": "", "note": "", "sequence": 0,
            "uid": f"seed-{options.seed}-{n}@pairwise.sandbox",
            "recurrence": {"frequency": "weekly", "count": options.weeks + 8, "until": None,
                           "cancelled": [], "moved": {}}}


def _as_meeting(row: dict) -> Meeting:
    """A transient meeting to expand (not added to the session)."""
    return Meeting(status=row["status"], start_at=row["start_at"], minutes=row["minutes"],
                   timezone=row["timezone"], recurrence=row["recurrence"])


def _occurrence(rows: _Rows, pair: Pair, uid: str, start: datetime, week: int,
                rng: random.Random, chance: float) -> None:
    """Attendance both members recorded (about 3% disputed), and a recap for most held."""
    held = rng.random() < chance
    outcome = "held" if held else rng.choice(("missed", "cancelled_late"))
    mentor_says = outcome
    if rng.random() < 0.03:
        mentor_says = "missed" if held else "held"
        rows.disputed += 1
    for person_id, said in ((pair.mentee_id, outcome), (pair.mentor_id, mentor_says)):
        rows.attendance.append((uid, {"occurrence_start": start, "person_id": person_id,
                                      "outcome": said, "recorded_at": start}))
    if held and rng.random() < 0.6:
        author = pair.mentor_id if week % 2 else pair.mentee_id
        rows.recaps.append((uid, {"pair_id": pair.id, "occurrence_start": start,
                                  "author_id": author, "takeaways": rng.choice(TAKEAWAYS),
                                  "notes": "", "shared": rng.random() < 0.5,
                                  "created_at": start + timedelta(hours=2),
                                  "updated_at": start + timedelta(hours=2)}))


def _week_writing(rows: _Rows, place: _Place, pair: Pair, day: datetime, week: int,
                  rng: random.Random) -> None:
    """A message most weeks, an action item now and then, a check-in every other week."""
    if rng.random() < 0.8:
        author = rng.choice((pair.mentee_id, pair.mentor_id))
        rows.messages.append({"pair_id": pair.id, "author_id": author,
                              "body": rng.choice(MESSAGES), "created_at": day})
    if rng.random() < 0.3:
        done = rng.random() < 0.5
        rows.actions.append({"pair_id": pair.id, "title": rng.choice(ACTIONS),
                             "owner_id": pair.mentee_id, "created_by_id": pair.mentor_id,
                             "due_on": (day + timedelta(days=7)).date(),
                             "status": "done" if done else "open", "created_at": day,
                             "updated_at": day, "done_at": day + timedelta(days=3)
                             if done else None, "recap_id": None})
    if week % 2 == 1:
        for _member in range(2):  # anonymous, the program's default: no name kept
            if rng.random() < 0.7:
                rows.checkins.append({"program_id": place.program.id, "pair_id": pair.id,
                                      "kind": "checkin", "rating": rng.randint(2, 5),
                                      "comment": "", "answers": {},
                                      "answered_on": day.date(), "person_id": None,
                                      "role": None})


def _agreement(pair: Pair, started: datetime, rng: random.Random) -> dict:
    proposed = started + timedelta(days=rng.randint(3, 12))
    accepted = proposed + timedelta(days=1)
    return {"pair_id": pair.id, "number": 1, "proposed_by_id": pair.mentor_id,
            "created_at": proposed, "mentee_accepted_at": accepted,
            "mentor_accepted_at": proposed, "frequency": "weekly", "minutes": 45,
            "preferred_channel": "video", "fallback_channel": "chat",
            "response_time": "two_days", "confidentiality": "What we say stays between us.",
            "boundaries": "", "mentee_hopes": "Find an internship.", "mentor_hopes": ""}


def _insert(rows: _Rows) -> None:
    """Bulk inserts; attendance and recaps learn their meeting's id by its uid."""
    if rows.meetings:
        db.session.execute(sa.insert(Meeting), rows.meetings)
        uids = [m["uid"] for m in rows.meetings]
        ids = dict(db.session.execute(sa.select(Meeting.uid, Meeting.id).where(
            Meeting.uid.in_(uids))).all())
        if rows.attendance:
            db.session.execute(sa.insert(Attendance), [
                {**row, "meeting_id": ids[uid]} for uid, row in rows.attendance])
        if rows.recaps:
            db.session.execute(sa.insert(Recap), [
                {**row, "meeting_id": ids[uid]} for uid, row in rows.recaps])
    for model, batch in ((ActionItem, rows.actions), (Message, rows.messages),
                         (SurveyResponse, rows.checkins), (AgreementVersion, rows.agreements)):
        if batch:
            db.session.execute(sa.insert(model), batch)
