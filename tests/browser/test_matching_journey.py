"""The staff matching journey inside the sandbox course page's iframe, in a real browser: the
instructor launches the activity (the program exists), a mentor and a learner fill the intake
through the form, staff propose matches, review scores and explanations, lock a pair, assign a
mentee by hand, propose again around the locked pairs and publish; then a learner sees their
mentor, why, and the weekly slot, and nothing of the other learners.

The other mentor's and learners' intakes go through real sandbox launches over plain HTTP
(tests/support/journeys.py `intake_over_http`), to keep the browser for the steps a person
does on screen.

It runs in both of browser_page's cookie modes (about 10 s each): with third-party cookies
blocked, every request of the frame carries the signed session token instead of a cookie."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.intake.models import Profile
from lti_tool.pairs.models import MatchRun, Pair
from tests.support.browser import screenshot
from tests.support.journeys import (
    LENA,
    LIAM,
    LUCIA,
    LUIS,
    MATEO,
    add_sandbox_activity,
    assert_no_tool_cookie_if_blocked,
    fill_intake_in_frame,
    follow,
    intake_over_http,
    launch_in_frame,
    open_course_page,
    press,
    query,
    save_intake_in_frame,
)

pytestmark = pytest.mark.browser

PROGRAM = "Autumn mentoring"
CAPACITY = 3  # two mentors x 3 places for 4 learners: room to move a mentee by hand
OTHER_LEARNERS = ("Luis Learner", "Lucia Learner", "Liam Learner")
MENTORS = ("Mona Mentor", "Mateo Mentor")


def _row(frame, rows, mentee):
    return rows.filter(has=frame.get_by_role("cell", name=mentee, exact=True))


def _draft(server):
    """The current draft run as plain data: {mentee name: (mentor name, score, explanation,
    slot, locked, manual)}."""
    def read():
        run = db.session.scalars(sa.select(MatchRun).filter_by(status="draft")).one()
        return run.id, {p.mentee.display_name: (p.mentor.display_name, p.score, p.explanation,
                                                p.slot, p.locked, p.manual)
                        for p in run.proposals}
    return query(server, read)


def test_staff_match_review_adjust_publish_in_the_iframe(live_sandbox, browser_page):
    page, server = browser_page, live_sandbox
    activity_id = add_sandbox_activity(server, PROGRAM, score_maximum=50)
    frame = open_course_page(page, server)

    # The instructor launches the activity: the program exists, nobody to match yet.
    launch_in_frame(page, "Iris Instructor")
    frame.get_by_role("heading", name=PROGRAM).wait_for()
    expect(frame.get_by_role("link", name="Matching", exact=True)).to_be_visible()
    assert query(server, lambda: db.session.scalars(sa.select(Program.title)).all()) == [PROGRAM]
    screenshot(page, "journey-1-instructor-home")

    _mentor_intake_in_the_browser(page, frame)
    _learner_intake_in_the_browser(page, frame, server)
    # The others, faster: real launches from the sandbox, intake posted without a browser.
    intake_over_http(server, MATEO, activity_id, expertise=["Career paths", "Leadership"],
                     languages=["en", "es"], timezone="Europe/London",
                     availability=["1-17", "2-17", "3-17"], capacity=str(CAPACITY))
    for user_id, topics, languages, timezone, hours in (
            (LUIS, ["Career paths"], ["es"], "Europe/Berlin", ["1-18"]),
            (LUCIA, ["Communication"], ["en"], "Europe/Lisbon", ["1-17", "3-17"]),
            (LIAM, ["Leadership", "Career paths"], ["en"], "Europe/Berlin", ["2-18"])):
        intake_over_http(server, user_id, activity_id, topics=topics, languages=languages,
                         timezone=timezone, availability=hours)

    launch_in_frame(page, "Iris Instructor")
    _set_capacities(frame)
    rows = _propose_and_review(page, frame, server)
    draft = _lock_assign_and_rerun(page, frame, server, rows)
    active = _publish(page, frame, server, draft)
    _learner_sees_only_her_match(page, frame, active)

    assert_no_tool_cookie_if_blocked(page, server)


def _mentor_intake_in_the_browser(page, frame):
    """Mona's first launch: expertise (no topics) and a capacity across courses."""
    launch_in_frame(page, "Mona Mentor")
    frame.get_by_role("heading", name="Tell us about yourself").wait_for()
    expect(frame.get_by_text("What can you help others with?")).to_be_visible()
    expect(frame.get_by_text("What do you want to work on?")).to_have_count(0)
    fill_intake_in_frame(frame, ticks=("Leadership", "Communication", "English", "Spanish",
                                       "Tuesday 18:00 to 19:00", "Wednesday 18:00 to 19:00"),
                         timezone="Europe/Madrid", capacity=CAPACITY)
    screenshot(page, "journey-2-mentor-intake")
    save_intake_in_frame(frame, "Mona")
    expect(frame.get_by_text("Your program's staff will match you with mentees")).to_be_visible()


def _learner_intake_in_the_browser(page, frame, server):
    """Lena's first launch: topics instead of expertise, and no capacity."""
    launch_in_frame(page, "Lena Learner")
    frame.get_by_role("heading", name="Tell us about yourself").wait_for()
    expect(frame.get_by_label("How many mentees can you take")).to_have_count(0)
    fill_intake_in_frame(frame, ticks=("Leadership", "Goal setting", "English",
                                       "Tuesday 18:00 to 19:00", "Wednesday 18:00 to 19:00"),
                         timezone="Europe/Berlin")
    save_intake_in_frame(frame, "Lena")
    expect(frame.get_by_text("You will meet your mentor here once the matches are "
                             "published")).to_be_visible()
    screenshot(page, "journey-3-learner-after-intake")

    def saved_profile():
        person = db.session.scalars(sa.select(Person).filter_by(subject=LENA)).one()
        profile = db.session.scalars(sa.select(Profile).filter_by(person_id=person.id)).one()
        return (profile.topics, profile.languages, profile.timezone, profile.modality,
                profile.availability)
    assert query(server, saved_profile) == (
        ["Goal setting", "Leadership"], ["en"], "Europe/Berlin", "video",
        [[1, 1080], [1, 1110], [2, 1080], [2, 1110]])


def _set_capacities(frame):
    """Staff give each mentor a third place here: the program's default is 2 per mentor, the
    intake's answer only the limit across courses."""
    follow(frame.get_by_role("link", name="Mentors", exact=True))
    frame.get_by_role("heading", name=f"Mentors in {PROGRAM}").wait_for()
    for name in MENTORS:
        row = frame.get_by_role("row").filter(
            has=frame.get_by_role("cell", name=name, exact=True))
        expect(row).to_contain_text(f"{CAPACITY} of {CAPACITY} left across courses")
        row.get_by_label(f"Capacity of {name}").fill(str(CAPACITY))
        press(row.get_by_role("button", name="Set"))
        expect(frame.get_by_text(f"Capacity of {name} set to {CAPACITY}.")).to_be_visible()
    expect(frame.get_by_role("row").filter(has_text="Mona Mentor")).to_contain_text(
        f"{CAPACITY} (0 pairs here; {CAPACITY} of {CAPACITY} left across courses)")


def _propose_and_review(page, frame, server):
    """Propose matches; the review table shows what the draft run holds. Returns its rows."""
    follow(frame.get_by_role("link", name="Matching", exact=True))
    frame.get_by_role("heading", name=f"Matching for {PROGRAM}").wait_for()
    expect(frame.get_by_text("4 learners ready to be matched · 2 mentors")).to_be_visible()
    press(frame.get_by_role("button", name="Propose matches"))
    expect(frame.get_by_text("Proposed 4 pairs. Review them, then publish.")).to_be_visible()
    rows = frame.get_by_role("table", name="Proposed pairs").locator("tbody tr")
    expect(rows).to_have_count(4)
    _, draft = _draft(server)
    assert set(draft) == {"Lena Learner", *OTHER_LEARNERS}
    for mentee, (mentor, score, explanation, slot, locked, _) in draft.items():
        cells = _row(frame, rows, mentee).get_by_role("cell")
        expect(cells.nth(1)).to_have_text(mentor)
        expect(cells.nth(2)).to_have_text(str(score))
        assert explanation and not locked
        expect(cells.nth(3)).to_have_text(explanation)
        if slot:
            expect(cells.nth(4)).to_contain_text(slot["mentee_local"])
    rows.last.scroll_into_view_if_needed()  # the frame scrolls, not the course page
    screenshot(page, "journey-4-proposals")
    return rows


def _lock_assign_and_rerun(page, frame, server, rows):
    """Lock Lena's pair, move another learner to the other mentor by hand, propose again
    around both. Returns the new draft."""
    run_id, draft = _draft(server)
    lena_mentor = draft["Lena Learner"][0]
    press(_row(frame, rows, "Lena Learner").get_by_role("button", name="Lock"))
    expect(frame.get_by_text("Pair locked.")).to_be_visible()
    expect(_row(frame, rows, "Lena Learner").get_by_role("button", name="Unlock")
           ).to_have_attribute("aria-pressed", "true")
    assert _draft(server)[1]["Lena Learner"][4] is True

    # A learner whose other mentor still has room.
    loads = {m: sum(1 for v in draft.values() if v[0] == m) for m in MENTORS}
    moved, target = next((mentee, other) for mentee in OTHER_LEARNERS
                         for other in set(MENTORS) - {draft[mentee][0]}
                         if loads[other] < CAPACITY)
    row = _row(frame, rows, moved)
    press(row.get_by_text("Change", exact=True))  # the row's menu
    row.get_by_label(f"Another mentor for {moved}").select_option(label=target)
    press(row.get_by_role("button", name="Assign"))
    expect(frame.get_by_text("Pair assigned and locked.")).to_be_visible()
    expect(_row(frame, rows, moved).get_by_role("cell").nth(1)).to_have_text(
        f"{target} (by staff)")
    rows.last.scroll_into_view_if_needed()
    screenshot(page, "journey-5-locked-and-assigned")

    press(frame.get_by_role("button", name="Propose again around locked pairs"))
    expect(frame.get_by_text("Proposed again around the locked pairs: 4 pairs.")).to_be_visible()
    new_run_id, draft = _draft(server)
    assert new_run_id != run_id
    assert draft["Lena Learner"][0] == lena_mentor and draft["Lena Learner"][4] is True
    # Still locked, and still marked as staff's own choice.
    assert draft[moved][0] == target and draft[moved][4] is True and draft[moved][5] is True
    expect(_row(frame, rows, moved).get_by_role("cell").nth(1)).to_have_text(
        f"{target} (by staff)")
    expect(rows).to_have_count(4)
    for mentee in ("Lena Learner", moved):
        expect(_row(frame, rows, mentee).get_by_role("button", name="Unlock")).to_be_visible()
    return draft


def _publish(page, frame, server, draft):
    """Publish the draft; returns the active pairs {mentee: (mentor, explanation, slot)}."""
    press(frame.get_by_role("button", name="Publish 4 pairs"))
    expect(frame.get_by_text("Publish 4 pairs:")).to_be_visible()  # the confirmation step
    press(frame.get_by_role("button", name="Publish 4 pairs"))
    expect(frame.get_by_text("Published 4 pairs: mentors and mentees now see their match.")
           ).to_be_visible()
    published = frame.get_by_role("table", name="Published pairs").locator("tbody tr")
    expect(published).to_have_count(4)
    expect(frame.get_by_role("table", name="Proposed pairs")).to_have_count(0)
    published.last.scroll_into_view_if_needed()
    screenshot(page, "journey-6-published")

    def read():
        runs = db.session.scalars(sa.select(MatchRun.status).order_by(MatchRun.id)).all()
        pairs = db.session.scalars(sa.select(Pair).filter_by(status="active"))
        return runs, {p.mentee.display_name: (p.mentor.display_name, p.explanation, p.slot)
                      for p in pairs}
    runs, active = query(server, read)
    assert runs == ["discarded", "published"]
    assert {mentee: values[0] for mentee, values in active.items()} == {
        mentee: values[0] for mentee, values in draft.items()}
    return active


def _learner_sees_only_her_match(page, frame, active):
    """Lena sees her mentor, why, and the weekly slot; nothing about the other learners, and
    her session cannot open the staff pages."""
    launch_in_frame(page, "Lena Learner")
    frame.get_by_role("heading", name="Welcome, Lena").wait_for()
    mentor, explanation, slot = active["Lena Learner"]
    expect(frame.get_by_role("heading", name=f"Your mentor: {mentor}")).to_be_visible()
    expect(frame.get_by_text(f"Why you were matched: {explanation}")).to_be_visible()
    assert slot, "Lena and her mentor share Tuesday and Wednesday evenings"
    expect(frame.get_by_text("A time that suits you both every week")).to_contain_text(
        slot["mentee_local"])
    expect(frame.get_by_role("heading", name="Your mentor:")).to_have_count(1)
    body = frame.locator("body")
    for other in OTHER_LEARNERS:
        expect(body).not_to_contain_text(other)
    for mentee, (_, other_explanation, _) in active.items():
        if mentee != "Lena Learner" and other_explanation != explanation:
            expect(body).not_to_contain_text(other_explanation)
    screenshot(page, "journey-7-learner-sees-mentor")

    tool_frame = page.frame(name="tool-frame")
    staff_url = tool_frame.url.replace("/?", "/matching?", 1)
    assert "/matching?pw=" in staff_url
    assert tool_frame.goto(staff_url).status == 403
