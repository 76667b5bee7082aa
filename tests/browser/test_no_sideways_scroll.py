"""No staff or participant page scrolls sideways (`scrollWidth <= clientWidth`) in the
sandbox course page's iframe at Moodle's 1,000-px frame and a 390-px phone, with a cohort the
generator seeded (60 learners, 15 mentors, 4 weeks): launched for real as the teacher (Iris),
a seeded learner and a seeded mentor of one active pair, and a learner still waiting. Every
offender is named with its width and the elements that stick out. Screenshots of what the
frame shows of two pages per width are kept under artifacts/screenshots/."""

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.guides.services import ensure_library
from lti_tool.lti.roles import Role
from lti_tool.pairs.models import Pair
from lti_tool.sandbox.seed import SeedOptions, seed_cohort
from tests.support.browser import BASE_ARGS, CHROMIUM
from tests.support.journeys import IRIS, query
from tests.support.sideways import (
    fit_frame,
    frame_screenshot,
    launch_into_frame,
    sideways_at,
    tool_frame,
)

pytestmark = pytest.mark.browser
COHORT = SeedOptions(learners=60, mentors=15, weeks=4, seed=3)
WIDTHS = (1000, 390)
PARTICIPANT_PAGES = ("/", "/intake", "/pairs/{pair}", "/pairs/{pair}/getting-started",
                     "/pairs/{pair}/meetings", "/pairs/{pair}/agreement",
                     "/pairs/{pair}/goals", "/pairs/{pair}/guides",
                     "/guides/{guide}", "/pairs/{pair}/journal", "/pairs/{pair}/messages",
                     "/pairs/{pair}/checkin", "/notifications/", "/events",
                     "/stories", "/stories/new", "/privacy/")
WAITING_PAGES = ("/", "/intake", "/notifications/", "/events", "/stories", "/privacy/")
STAFF_PAGES = ("/", "/roster", "/matching", "/matching?page=2", "/matching/settings",
               "/matching/pairs/{pair}", "/mentors", "/dashboard", "/dashboard?health=all",
               "/dashboard/pairs/{pair}", "/dashboard/settings", "/grades",
               "/grades/{learner}", "/grades/rubric", "/guides/manage",
               "/guides/new", "/guides/{guide}/edit", "/agreement-template", "/surveys",
               "/shared-recaps",
               "/events", "/stories", "/notifications/", "/privacy/", "/privacy/retention",
               "/privacy/people/{learner}/erase")
SCREENSHOTS = {("staff", "/matching"), ("learner", "/pairs/{pair}")}


@pytest.fixture
def cohort(live_sandbox):
    """(server, activity id, ids): the seeded program and one active pair's people."""
    server = live_sandbox
    return server, *query(server, _seed_and_pick)


def _seed_and_pick() -> tuple[int, dict[str, int | str]]:
    result = seed_cohort(COHORT)
    pair = db.session.scalars(sa.select(Pair).where(
        Pair.program_id == result.program_id, Pair.status == "active").order_by(Pair.id)).first()
    assert pair is not None, "the seeded cohort has no active pair"
    paired = sa.select(Pair.mentee_id).where(Pair.program_id == result.program_id)
    waiting = db.session.scalars(sa.select(Person.subject).join(
        Enrolment, Enrolment.person_id == Person.id).where(
        Enrolment.role == Role.LEARNER, Person.id.not_in(paired)).order_by(Person.id)).first()
    assert waiting is not None, "every seeded learner is paired"
    subject = {pid: db.session.get(Person, pid).subject for pid in (pair.mentee_id,
                                                                      pair.mentor_id)}
    ids = {"pair": pair.id, "learner": pair.mentee_id, "mentor": pair.mentor_id,
           "learner_user": subject[pair.mentee_id], "mentor_user": subject[pair.mentor_id],
           "waiting_user": waiting,
           "guide": ensure_library(db.session.get(Program, result.program_id))[0].id}
    db.session.commit()
    return result.activity_id, ids


def test_no_page_scrolls_sideways_in_the_frame(cohort, playwright_instance):
    server, activity_id, ids = cohort
    visits = {"staff": (IRIS, STAFF_PAGES), "learner": (ids["learner_user"], PARTICIPANT_PAGES),
              "mentor": (ids["mentor_user"], PARTICIPANT_PAGES),
              "waiting learner": (ids["waiting_user"], WAITING_PAGES)}
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
    offenders = []
    try:
        for width in WIDTHS:
            page = browser.new_page()
            page.set_default_timeout(15000)
            page.goto(server.sandbox_url + "/")
            fit_frame(page, width)
            for who, (user_id, paths) in visits.items():
                token = launch_into_frame(page, server, activity_id, str(user_id))
                for path in paths:
                    found = sideways_at(tool_frame(page), server.tool_url + path.format(**ids),
                                        token)
                    if found:
                        offenders.append(f"{who} {path} at {width} px: {found}")
                    if (who, path) in SCREENSHOTS:
                        shown = path.split("/")[1] or "home"
                        frame_screenshot(page, f"sideways-{who}-{shown}-{width}")
            page.close()
    finally:
        browser.close()
    assert not offenders, "\n".join(offenders)
