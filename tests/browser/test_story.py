"""The whole story of a mentoring program, end to end, in a real browser inside the sandbox
course page's iframe (issue 8, part 5):

1. Iris (instructor) adds the activity by deep linking: she chooses the program's settings on
   the tool's page in the frame and returns to the sandbox, which creates the activity and
   its grade item.
2. Mona (mentor) and Lena (learner) launch the new activity and fill the intake.
3. Iris launches it, proposes matches and publishes them, and sets the rubric's completion
   criteria to one meeting held (the agreement not required).
4. Lena proposes a meeting at a time both are free; Mona accepts it.
5. Time passes (the meeting is moved into the past in the database: see `_time_passes`);
   both say it happened, and Lena writes a recap of it.
6. The grades outbox is run as in production (`flask grades sync`, through the app's CLI
   runner), and the sandbox's Gradebook page shows Lena's passing score and completion;
   Iris's participation grades page says it was sent.

Every step a person does on screen goes through the browser; the test only reads the
database to check what the pages say, and moves the meeting's time. Screenshots of each step
land in artifacts/screenshots/story-*.png. It runs in both of browser_page's cookie modes
(about 30 s each): with third-party cookies blocked, every request of the frame carries the
signed session token instead of a cookie."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.grades.facts import held_meetings
from lti_tool.journal.models import Recap
from lti_tool.meetings.models import Meeting
from lti_tool.pairs.models import Pair
from lti_tool.sandbox.models import Activity, LineItem, Score
from lti_tool.timeutil import as_utc, utcnow
from tests.support.browser import screenshot
from tests.support.journeys import (
    LENA,
    MONA,
    assert_no_tool_cookie_if_blocked,
    fill_intake_in_frame,
    follow,
    launch_in_frame,
    open_course_page,
    press,
    query,
    save_intake_in_frame,
)

pytestmark = pytest.mark.browser

PROGRAM = "Spring mentoring"
DESCRIPTION = "Twelve weeks with a mentor from the leadership track."
SCORE_MAXIMUM = 80  # chosen on the deep-linking page: the grade item's maximum
MEETING_MINUTES = 30  # chosen on the deep-linking page: the program's usual meeting
PASS_SCORE = 40  # the rubric's grade to pass (Iris sets the same in the LMS)
# Lena's points for one meeting held (10) and one recap (2), lifted to the grade to pass once
# she meets the completion criteria (lti_tool/grades/rubric.py, gate_pass).
LENA_SCORE = PASS_SCORE
# Tuesday to Thursday: Mona in Berlin 18-20 h, Lena in New York 12-14 h (5 or 6 hours apart,
# so at least an hour in common whatever the clocks do).
DAYS = ("Tuesday", "Wednesday", "Thursday")
MONA_HOURS = [f"{day} {h:02d}:00 to {h + 1:02d}:00" for day in DAYS for h in (18, 19)]
LENA_HOURS = [f"{day} {h:02d}:00 to {h + 1:02d}:00" for day in DAYS for h in (12, 13)]
AGENDA = "Getting to know each other"
TAKEAWAYS = "Start with one small team project; ask for feedback early."


def _section(frame, heading):
    """The card a heading names."""
    return frame.locator("section").filter(
        has=frame.get_by_role("heading", name=heading, exact=True))


def _flash(frame, text):
    """The message a page shows after an action, starting with `text`."""
    expect(frame.get_by_text(re.compile("^" + re.escape(text)))).to_be_visible()


def test_a_program_from_deep_linking_to_the_gradebook(live_sandbox, browser_page):
    page, server = browser_page, live_sandbox
    frame = open_course_page(page, server)
    expect(page.get_by_text("No activities yet: add one with deep linking.")).to_be_visible()

    _staff_add_the_activity(page, frame, server)
    _participants_fill_the_intake(page, frame)
    pair_id = _staff_match_and_publish(page, frame, server)
    _pair_books_a_meeting(page, frame, server, pair_id)
    _time_passes(server)
    _pair_confirms_and_writes_a_recap(page, frame, server, pair_id)
    _grades_reach_the_gradebook(page, frame, server)

    assert_no_tool_cookie_if_blocked(page, server)


# --- 1. Deep linking -------------------------------------------------------------------------

def _staff_add_the_activity(page, frame, server):
    """Iris adds the activity from the course page: the tool's page in the frame, then back."""
    press(page.get_by_role("button", name="Add activity (deep linking) as Iris Instructor"))
    frame.get_by_role("heading", name="Add a mentoring program").wait_for()
    frame.get_by_label("Program title").fill(PROGRAM)
    frame.get_by_label("What the program is for").fill(DESCRIPTION)
    frame.get_by_label("Maximum participation grade").fill(str(SCORE_MAXIMUM))
    frame.get_by_label("Usual meeting length (minutes)").fill(str(MEETING_MINUTES))
    screenshot(page, "story-01-deep-link-settings")
    press(frame.get_by_role("button", name="Add to the course"))

    # The tool posts its signed answer back to the sandbox, inside the frame.
    frame.get_by_role("heading", name="Activity added").wait_for()
    expect(frame.get_by_role("listitem").filter(has_text=PROGRAM)).to_have_text(
        f"{PROGRAM} (graded out of {float(SCORE_MAXIMUM)})")
    screenshot(page, "story-02-activity-added")
    follow(frame.get_by_role("link", name="Reload the course page"))  # the whole page
    activity = page.get_by_role("article", name=PROGRAM)
    expect(activity).to_contain_text(f"Graded out of {float(SCORE_MAXIMUM)}")
    expect(activity.get_by_role("button", name="Launch as Lena Learner")).to_be_visible()

    def read():
        [added] = db.session.scalars(sa.select(Activity)).all()
        [item] = db.session.scalars(sa.select(LineItem)).all()
        [program] = db.session.scalars(sa.select(Program)).all()
        return ((added.title, item.activity_id == added.id, item.is_primary, item.score_maximum),
                (program.title, program.description, program.score_maximum,
                 program.meeting_minutes))
    assert query(server, read) == (
        (PROGRAM, True, True, SCORE_MAXIMUM),
        (PROGRAM, DESCRIPTION, SCORE_MAXIMUM, MEETING_MINUTES))


# --- 2. Intakes ------------------------------------------------------------------------------

def _participants_fill_the_intake(page, frame):
    launch_in_frame(page, "Mona Mentor")
    frame.get_by_role("heading", name="Tell us about yourself").wait_for()
    expect(frame.get_by_text(PROGRAM, exact=False).first).to_be_visible()
    fill_intake_in_frame(frame, ticks=("Leadership", "English", *MONA_HOURS),
                         timezone="Europe/Berlin", capacity=2)
    screenshot(page, "story-03-mentor-intake")
    save_intake_in_frame(frame, "Mona")
    expect(frame.get_by_text("Your program's staff will match you with mentees")).to_be_visible()

    launch_in_frame(page, "Lena Learner")
    frame.get_by_role("heading", name="Tell us about yourself").wait_for()
    fill_intake_in_frame(frame, ticks=("Leadership", "Goal setting", "English", *LENA_HOURS),
                         timezone="America/New_York")
    screenshot(page, "story-04-learner-intake")
    save_intake_in_frame(frame, "Lena")
    expect(frame.get_by_text("You will meet your mentor here once the matches are "
                             "published")).to_be_visible()


# --- 3. Matching and the rubric --------------------------------------------------------------

def _staff_match_and_publish(page, frame, server) -> int:
    """Iris proposes and publishes the match, then sets completion to one meeting held."""
    launch_in_frame(page, "Iris Instructor")
    frame.get_by_role("heading", name=PROGRAM, exact=True).wait_for()
    follow(frame.get_by_role("link", name="Matching", exact=True))
    frame.get_by_role("heading", name=f"Matching for {PROGRAM}").wait_for()
    expect(frame.get_by_text("1 learner ready to be matched · 1 mentor")).to_be_visible()
    press(frame.get_by_role("button", name="Propose matches"))
    expect(frame.get_by_text("Proposed 1 pair. Review it, then publish.")).to_be_visible()
    proposed = frame.get_by_role("table", name="Proposed pairs").locator("tbody tr")
    expect(proposed).to_have_count(1)
    expect(proposed.get_by_role("cell").nth(0)).to_have_text("Lena Learner")
    expect(proposed.get_by_role("cell").nth(1)).to_have_text("Mona Mentor")
    screenshot(page, "story-05-proposed")
    press(frame.get_by_role("button", name="Publish 1 pair"))
    expect(frame.get_by_text("Publish 1 pair: 2 people will be told.")).to_be_visible()
    press(frame.get_by_role("button", name="Publish 1 pair"))  # the confirmation step
    expect(frame.get_by_text("Published 1 pair: the mentor and mentee now see their match.")
           ).to_be_visible()
    expect(frame.get_by_role("table", name="Published pairs").locator("tbody tr")
           ).to_have_count(1)
    screenshot(page, "story-06-published")

    def read():
        pair = db.session.scalars(sa.select(Pair)).one()
        return pair.id, pair.status, pair.mentee.subject, pair.mentor.subject
    pair_id, *pair = query(server, read)
    assert pair == ["active", LENA, MONA]

    # The rubric: one meeting held completes the program; the grade to pass is 40 of 80.
    follow(frame.get_by_role("link", name="Program", exact=True))
    follow(frame.get_by_role("link", name="Participation grades", exact=True))
    frame.get_by_role("heading", name="Participation grades", exact=True).wait_for()
    follow(frame.get_by_role("link", name="Edit the rubric"))
    frame.get_by_role("heading", name="Participation rubric").wait_for()
    expect(frame.get_by_label("Maximum grade (the grade item's maximum in the LMS)")
           ).to_have_value(str(SCORE_MAXIMUM))
    frame.get_by_label("Completed: at least this many meetings held", exact=True).fill("1")
    frame.get_by_label("Completed: the agreement is signed").uncheck()
    frame.get_by_label("Grade to pass (set the same in the LMS)").fill(str(PASS_SCORE))
    press(frame.get_by_role("button", name="Save the rubric"))
    _flash(frame, "Rubric saved;")
    how = frame.locator("section").filter(
        has=frame.get_by_role("heading", name=re.compile(r"^How grades reach ")))
    expect(how).to_contain_text("at least 1 meeting held")
    expect(how).not_to_contain_text("the agreement signed")
    lena = _grade_row(frame, "Lena Learner")
    expect(lena.locator("td").nth(1)).to_have_text(f"0 / {SCORE_MAXIMUM}")
    expect(lena.locator("td").nth(2)).to_have_text("Not yet")
    screenshot(page, "story-07-rubric")
    return pair_id


def _grade_row(frame, name):
    people = _section(frame, "People")
    return people.locator("tbody tr").filter(
        has=frame.get_by_role("link", name=name, exact=True))


# --- 4. A meeting ----------------------------------------------------------------------------

def _pair_books_a_meeting(page, frame, server, pair_id):
    """Lena offers the first time both are free; Mona takes it."""
    launch_in_frame(page, "Lena Learner")
    frame.get_by_role("heading", name="Welcome, Lena").wait_for()
    expect(frame.get_by_role("heading", name="Your mentor: Mona Mentor")).to_be_visible()
    follow(frame.get_by_role("link", name="Meetings", exact=True))
    frame.get_by_role("heading", name="Meetings with Mona Mentor").wait_for()
    times = frame.get_by_role("group", name="Times you are both free (choose up to three)")
    times.get_by_role("checkbox").first.check()
    frame.get_by_label("How you meet").select_option(label="Video call")
    frame.get_by_label("Agenda (optional)").fill(AGENDA)
    frame.get_by_role("heading", name="Propose a meeting").evaluate("h => h.scrollIntoView()")
    screenshot(page, "story-08-learner-proposes")
    press(frame.get_by_role("button", name="Send the proposal"))
    expect(frame.get_by_text("Your proposal was sent; you will see the answer here.")
           ).to_be_visible()
    waiting = _section(frame, "Waiting for an answer")
    # The program's usual length, chosen when the activity was added.
    expect(waiting).to_contain_text(f"Video call, {MEETING_MINUTES} minutes")

    launch_in_frame(page, "Mona Mentor")
    frame.get_by_role("heading", name="Welcome, Mona").wait_for()
    follow(frame.get_by_role("link", name="Meetings", exact=True))
    frame.get_by_role("heading", name="Meetings with Lena Learner").wait_for()
    choices = _section(frame, "Waiting for an answer").get_by_role(
        "group", name="Lena Learner proposed these times")
    choices.get_by_role("radio").first.check()
    screenshot(page, "story-09-mentor-accepts")
    press(_section(frame, "Waiting for an answer").get_by_role("button", name="Answer"))
    expect(frame.get_by_text("Accepted: the meeting is scheduled.")).to_be_visible()
    coming = _section(frame, "Coming up").get_by_role("article")
    expect(coming).to_have_count(1)
    expect(coming).to_contain_text(f"Agenda: {AGENDA}")
    expect(coming.get_by_role("link", name="Join the call")).to_be_visible()
    screenshot(page, "story-10-meeting-scheduled")

    def read():
        meeting = db.session.scalars(sa.select(Meeting)).one()
        return meeting.pair_id, meeting.status, meeting.minutes, meeting.start_at
    meeting_pair, status, minutes, start = query(server, read)
    assert (meeting_pair, status, minutes) == (pair_id, "scheduled", MEETING_MINUTES)
    assert as_utc(start) > utcnow()


# --- 5. After the meeting --------------------------------------------------------------------

def _time_passes(server):
    """Simulated time: the test cannot wait for the meeting, so its start is moved back in
    the database by whole weeks (same weekday and hour) until it is over; nothing else
    changes. The pair can then say whether it happened, which the tool asks only once a
    meeting has ended."""
    def move():
        meeting = db.session.scalars(sa.select(Meeting)).one()
        start, length, now = as_utc(meeting.start_at), timedelta(minutes=meeting.minutes), \
            utcnow()
        weeks = -(-(start + length - now) // timedelta(weeks=1))  # rounded up
        meeting.start_at = moved = start - timedelta(weeks=weeks)
        db.session.commit()
        return moved + length < now
    assert query(server, move)


def _say_it_happened(page, frame, name, other):
    """`name` opens the pair's meetings and answers "It happened" for the past meeting."""
    launch_in_frame(page, name)
    frame.get_by_role("heading", name=f"Welcome, {name.split()[0]}").wait_for()
    follow(frame.get_by_role("link", name="Meetings", exact=True))
    frame.get_by_role("heading", name=f"Meetings with {other}").wait_for()
    expect(frame.get_by_text("No meeting planned yet.")).to_be_visible()  # none to come
    happened = _section(frame, "Did it happen?")
    expect(happened.get_by_role("listitem")).to_have_count(1)
    happened.get_by_label("Did it happen?").select_option(label="It happened")
    press(happened.get_by_role("button", name="Save"))
    _flash(frame, "Thank you: noted.")
    expect(_section(frame, "Did it happen?")).to_contain_text("you said “It happened”")


def _pair_confirms_and_writes_a_recap(page, frame, server, pair_id):
    _say_it_happened(page, frame, "Mona Mentor", "Lena Learner")
    assert query(server, lambda: held_meetings([pair_id])) == {}  # one word is not enough
    _say_it_happened(page, frame, "Lena Learner", "Mona Mentor")
    frame.get_by_role("heading", name="Did it happen?").evaluate("h => h.scrollIntoView()")
    screenshot(page, "story-11-learner-says-it-happened")
    held = query(server, lambda: held_meetings([pair_id]))
    assert held[pair_id][0] == 1, held

    follow(frame.get_by_role("link", name="Recaps and action items"))
    frame.get_by_role("heading", name="Recaps and action items with Mona Mentor").wait_for()
    write = _section(frame, "Write a recap")
    meeting = write.get_by_label("Which meeting")
    expect(meeting.locator("option")).to_have_count(2)  # "Not a scheduled meeting" and it
    meeting.select_option(index=1)
    write.get_by_label("What you take away").fill(TAKEAWAYS)
    screenshot(page, "story-12-learner-writes-recap")
    press(write.get_by_role("button", name="Save the recap"))
    _flash(frame, "Recap saved.")
    recap = _section(frame, "Recaps").get_by_role("article")
    expect(recap).to_have_count(1)
    expect(recap.get_by_role("heading")).to_contain_text("Meeting of ")
    expect(recap.get_by_role("heading")).to_contain_text("by you")
    expect(recap).to_contain_text(TAKEAWAYS)

    def read():
        recap = db.session.scalars(sa.select(Recap)).one()
        return recap.author.subject, recap.meeting_id is not None
    assert query(server, read) == (LENA, True)


# --- 6. Grades -------------------------------------------------------------------------------

def _grades_reach_the_gradebook(page, frame, server):
    """Before the outbox runs the sandbox has no score; `flask grades sync` posts Lena's
    (AGS), and the Gradebook page shows it with her completion."""
    follow(page.get_by_role("link", name="Gradebook", exact=True))
    page.get_by_role("heading", name=re.compile(r"^Gradebook")).wait_for()
    lena = page.get_by_role("row").filter(has=page.get_by_role("rowheader",
                                                               name=re.compile("^Lena")))
    expect(lena).to_contain_text("no score")

    # What `flask --app wsgi grades sync` (cron) runs; the worker runs the same in a loop.
    result = server.app.test_cli_runner().invoke(args=["grades", "sync"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Sent 1 (0 already newer in the LMS)"), result.output

    page.reload()
    column = page.get_by_role("columnheader", name=re.compile(f"^{PROGRAM}"))
    expect(column).to_contain_text(f"/ {float(SCORE_MAXIMUM)}")
    cell = lena.get_by_role("cell")
    expect(cell).to_contain_text(re.compile(rf"^\s*{LENA_SCORE:.2f}\s+FullyGraded · "))
    # The tool's comment is the LMS's feedback: what counted, and completion.
    expect(cell).to_contain_text(re.compile(r"1 meeting held of 1 needed to complete \(up to 6 "
                                            r"count for points\), last met \d+ \w+, "
                                            r"agreement not signed, 1 recap, completed\s*$"))
    mona = page.get_by_role("row").filter(has=page.get_by_role("rowheader",
                                                               name=re.compile("^Mona")))
    expect(mona).to_contain_text("no score")  # mentors are not graded by default
    screenshot(page, "story-13-sandbox-gradebook")

    def read():
        score = db.session.scalars(sa.select(Score).filter_by(user_id=LENA)).one()
        return (score.score_given, score.score_maximum, score.grade, score.activity_progress,
                score.grading_progress)
    assert query(server, read) == (LENA_SCORE, SCORE_MAXIMUM, LENA_SCORE, "Completed",
                                   "FullyGraded")

    # In the tool, Iris reads that the score went to the LMS.
    follow(page.get_by_role("link", name="Course", exact=True))
    launch_in_frame(page, "Iris Instructor")
    frame.get_by_role("heading", name=PROGRAM, exact=True).wait_for()
    follow(frame.get_by_role("link", name="Participation grades", exact=True))
    row = _grade_row(frame, "Lena Learner")
    expect(row.locator("td").nth(1)).to_have_text(f"{LENA_SCORE} / {SCORE_MAXIMUM}")
    expect(row.locator("td").nth(2)).to_have_text("Yes")
    expect(row.locator("td").nth(4)).to_have_text("Sent")
    expect(row.locator("td").nth(5)).to_contain_text(f"UTC ({LENA_SCORE})")
    _section(frame, "People").evaluate("s => s.scrollIntoView()")
    screenshot(page, "story-14-staff-grades-sent")
