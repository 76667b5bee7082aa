"""How long the staff dashboard takes to render for a large program, and how many SQL
statements it runs (the same at every size: histories are read in bulk, not per pair).

    python -m bench.dashboard [--sizes 1000 2000] [--renders 5]

Seeds, per size, a program with that many active pairs matched a semester ago, each with a
weekly meeting for 15 weeks (attendance confirmed by both, some missed), messages, recaps,
action items and check-ins; then renders /dashboard through the WSGI app on SQLite with a
real signed staff launch.

The first view of a day assesses every pair and stores the results (`cold_render_ms`; the
daily `flask relationships sweep` does it ahead of staff). Each later view reads the stored
health and reassesses only pairs where something happened: before each of those renders,
1% of the pairs write a message (through the ORM, so the commit marks them stale as in
production). Prints one JSON object per size: pairs, render_ms (median of those views),
cold_render_ms, queries (SQL statements per view, the most of any), reassessed (pairs per
view), peak_mb.
"""

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from lti_tool import create_app
from lti_tool.courses.models import Enrolment, Person, Program, ResourceLink, Role
from lti_tool.extensions import db
from lti_tool.journal.models import ActionItem, Message, Recap
from lti_tool.meetings.models import Attendance, Meeting
from lti_tool.pairs.models import Pair
from lti_tool.surveys.models import SurveyResponse
from tests.support.platform import LTI, PlatformDouble, launch

WEEKS = 15


def seed(pairs: int, platform: PlatformDouble, client) -> str:
    """A staff launch (which creates course, program and link), then bulk rows."""
    response = launch(client, platform, sub="staff-1", **{
        LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        LTI + "resource_link": {"id": "bench-link", "title": "Mentoring"}})
    token = response.headers["Location"].split("pw=")[1]
    rng = random.Random(7)
    now = datetime.now(UTC)
    start = now - timedelta(weeks=WEEKS + 1)
    program = db.session.scalars(sa.select(Program)).one()
    course_id, platform_id = program.course_id, program.course.platform_id
    people = [Person(platform_id=platform_id, subject=f"u{n}", name=f"Person {n}")
              for n in range(2 * pairs)]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all(Enrolment(course_id=course_id, person_id=p.id, lis_roles=[],
                                 role=Role.LEARNER if n % 2 == 0 else Role.MENTOR)
                       for n, p in enumerate(people))
    rows = [Pair(program_id=program.id, mentee_id=people[2 * k].id,
                 mentor_id=people[2 * k + 1].id, started_at=start,
                 ends_on=(start + timedelta(weeks=26)).date()) for k in range(pairs)]
    db.session.add_all(rows)
    db.session.flush()
    for k, pair in enumerate(rows):
        first = start + timedelta(days=3, hours=k % 10)
        meeting = Meeting(pair_id=pair.id, proposed_by_id=pair.mentee_id, status="scheduled",
                          start_at=first, minutes=45, timezone="Europe/Berlin",
                          modality="video", uid=f"bench-{k}@pairwise", sequence=0,
                          recurrence={"frequency": "weekly", "count": WEEKS + 4,
                                      "until": None, "cancelled": [], "moved": {}})
        db.session.add(meeting)
        db.session.flush()
        for week in range(WEEKS):
            when = first + timedelta(weeks=week)
            outcome = "missed" if rng.random() < 0.1 else "held"
            db.session.add_all(Attendance(meeting_id=meeting.id, occurrence_start=when,
                                          person_id=person, outcome=outcome)
                               for person in (pair.mentee_id, pair.mentor_id))
        for week in range(0, WEEKS, 2):
            day = start + timedelta(weeks=week, days=5)
            db.session.add(Message(pair_id=pair.id, author_id=pair.mentee_id, body="Hi",
                                   created_at=day))
            db.session.add(Recap(pair_id=pair.id, author_id=pair.mentor_id, takeaways="ok",
                                 created_at=day))
            db.session.add(SurveyResponse(program_id=program.id, pair_id=pair.id,
                                          kind="checkin", rating=rng.randint(2, 5),
                                          answered_on=day.date(), answers={}))
        db.session.add(ActionItem(pair_id=pair.id, title="Read", owner_id=pair.mentee_id,
                                  created_by_id=pair.mentor_id,
                                  due_on=(now - timedelta(days=rng.randint(-5, 5))).date()))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResourceLink)) == 1
    return token


def write_messages(count: int, seed: int) -> int:
    """`count` pairs each get a message, committed as a request would."""
    active = db.session.scalars(sa.select(Pair).order_by(Pair.id)).all()
    for pair in random.Random(seed).sample(active, count):
        db.session.add(Message(pair_id=pair.id, author_id=pair.mentor_id, body="Any news?"))
    db.session.commit()
    return count


def run(pairs: int, renders: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                          "BASE_URL": "http://127.0.0.1:5000", "SANDBOX_ENABLED": False},
                         env="testing")
        platform = PlatformDouble()
        client = app.test_client(use_cookies=False)
        with app.app_context():
            db.create_all()
            platform.register()
            token = seed(pairs, platform, client)
        counter = {"count": 0}

        def count(*_args):
            counter["count"] += 1

        started = time.perf_counter()
        assert client.get(f"/dashboard?pw={token}").status_code == 200
        cold = time.perf_counter() - started
        timings, queries = [], []
        for render in range(renders):
            with app.app_context():
                changed = write_messages(pairs // 100, seed=render)
            counter["count"] = 0
            sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
            started = time.perf_counter()
            page = client.get(f"/dashboard?pw={token}")
            timings.append(time.perf_counter() - started)
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
            assert page.status_code == 200, page.status_code
            queries.append(counter["count"])
        platform.close()
    return {"pairs": pairs, "render_ms": round(statistics.median(timings) * 1000, 1),
            "cold_render_ms": round(cold * 1000, 1), "queries": max(queries),
            "reassessed": changed,
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--renders", type=int, default=5)
    args = parser.parse_args()
    for size in args.sizes:
        print(json.dumps(run(size, args.renders)), flush=True)


if __name__ == "__main__":
    main()
