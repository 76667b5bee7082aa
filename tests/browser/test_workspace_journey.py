"""A pair works in its workspace inside the sandbox course page's iframe, in a real browser.

Lena (learner) opens her workspace from her home page, ticks an item of the getting-started
checklist and proposes the mentoring agreement; Mona (mentor) finds it waiting for her and
accepts it, and both see it signed (the checklist's automatic item ticks itself). Lena adds a
goal with two milestones and marks one done; she picks the "first meeting" conversation guide
as the agenda and reads it (its Markdown rendered as headings and lists); she writes a recap
with an action item for herself, whose takeaways hold a `<script>` that must come out as text
(no dialog ever opens), and sends Mona a message. Mona finds "1 new message" on her home page,
reads it, and reads Lena's recap.

Getting there goes over plain HTTP, through real sandbox launches (tests/support/journeys.py
`pair_mona_with_lena`), as in test_meetings_journey: Mona and Lena fill their intakes and the
instructor proposes and publishes the match.

It runs in both of browser_page's cookie modes (about 20-30 s each): with third-party cookies
blocked, every request of the frame carries the signed session token instead of a cookie."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from lti_tool.extensions import db
from lti_tool.guides.models import GuideUse
from lti_tool.journal.models import ActionItem, Message, Recap, ThreadState
from lti_tool.pairs.models import Pair
from lti_tool.workspace.models import AgreementVersion, ChecklistTick, Goal
from tests.support.browser import screenshot
from tests.support.journeys import (
    assert_no_tool_cookie_if_blocked,
    follow,
    launch_in_frame,
    open_course_page,
    pair_mona_with_lena,
    press,
    query,
    weekly_hours,
)

pytestmark = pytest.mark.browser

PROGRAM = "Spring mentoring"
CONFIDENTIALITY = "What we say about our workplaces stays between us."
BOUNDARIES = "No calls after 20:00 Berlin time; we tell each other a day ahead if we cancel."
LENA_HOPES = "Honest feedback on my leadership style and my first team project."
GOAL = "Lead my first project team"
MILESTONES = ("Ask my manager for a small project", "Run the kick-off meeting")
GUIDE = "First meeting and rapport"
TAKEAWAYS = "Ask before deciding <script>alert(1)</script> & listen first."
ACTION = "Book a chat with my manager about the project"
MESSAGE = "Thanks for today, Mona! I booked the chat with my manager for Friday."
TOTAL_ITEMS = 6  # lti_tool/workspace/checklist.py ITEMS


def _section(frame, heading):
    """The card (section or article) a heading names."""
    return frame.locator("section, article").filter(
        has=frame.get_by_role("heading", name=heading, exact=True))


def _ticked(frame, title):
    """A checklist item shown done: its tick is in the heading, hidden from screen readers
    (who read "done" in the line below)."""
    item = _section(frame, title)
    expect(item.locator("h2")).to_have_text(f"✓ {title}")
    return item


def _flash(frame, text):
    expect(frame.locator("p.flash")).to_contain_text(text)


def _show(frame, heading):
    """Scroll the frame (not the course page) to a heading before a screenshot."""
    frame.get_by_role("heading", name=heading, exact=True).evaluate("h => h.scrollIntoView()")


def _open_workspace(page, frame, name, other):
    """Launch as `name` and open the workspace from the home page."""
    launch_in_frame(page, name)
    frame.get_by_role("heading", name=f"Welcome, {name.split()[0]}").wait_for()
    follow(frame.get_by_role("link", name="Open your workspace"))
    frame.get_by_role("heading", name=f"You and {other}", exact=True).wait_for()


def _action(verb, what):
    """A button's name: the visible verb, then a visually hidden ": what". Chromium counts the
    hidden span (absolutely positioned, so a block) as a separate word: "Mark done : ..."."""
    return re.compile(rf"^{re.escape(verb)} ?: {re.escape(what)}$")


def _state(frame, term):
    """The value of one line of the hub's "Where you are"."""
    return frame.locator("dl.facts dt", has_text=term).locator("xpath=following-sibling::dd[1]")


# --- Reading the database --------------------------------------------------------------------

def _agreement(server):
    def read():
        rows = db.session.scalars(sa.select(AgreementVersion)).all()
        return [{"number": v.number, "proposed_by": v.proposed_by.display_name,
                 "mentee_accepted": v.mentee_accepted_at is not None,
                 "mentor_accepted": v.mentor_accepted_at is not None,
                 "signed": v.signed_at is not None, "frequency": v.frequency,
                 "minutes": v.minutes, "fallback": v.fallback_channel,
                 "confidentiality": v.confidentiality, "boundaries": v.boundaries,
                 "mentee_hopes": v.mentee_hopes} for v in rows]
    return query(server, read)


def _ticks(server):
    def read():
        rows = db.session.execute(sa.select(ChecklistTick.item, ChecklistTick.person_id))
        return sorted(rows.all())
    return query(server, read)


def _person_id(server, pair_id, role):
    return query(server, lambda: getattr(db.session.get(Pair, pair_id), f"{role}_id"))


def _goals(server):
    def read():
        return [(g.title, g.created_by.display_name, g.percent,
                 [(m.title, m.done, m.done_at is not None) for m in g.milestones])
                for g in db.session.scalars(sa.select(Goal))]
    return query(server, read)


def _journal(server):
    def read():
        recaps = [(r.author.display_name, r.takeaways, r.shared, r.meeting_id)
                  for r in db.session.scalars(sa.select(Recap))]
        actions = [(a.title, a.owner.display_name, a.created_by.display_name, a.status,
                    a.recap_id is not None) for a in db.session.scalars(sa.select(ActionItem))]
        messages = [(m.author.display_name, m.body, m.id)
                    for m in db.session.scalars(sa.select(Message))]
        uses = [(u.guide.title, u.chosen_by.display_name, u.covered_at)
                for u in db.session.scalars(sa.select(GuideUse))]
        return {"recaps": recaps, "actions": actions, "messages": messages, "uses": uses}
    return query(server, read)


def _last_read(server, person_id):
    def read():
        state = db.session.scalars(sa.select(ThreadState).filter_by(person_id=person_id)).first()
        return state.last_read_id if state else 0
    return query(server, read)


# --- The journey -----------------------------------------------------------------------------

def test_a_pair_works_in_its_workspace_in_the_iframe(live_sandbox, browser_page):
    page, server = browser_page, live_sandbox
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()
    page.on("dialog", on_dialog)

    _, pair_id = pair_mona_with_lena(
        server, PROGRAM,
        mona={"expertise": ["Leadership"], "timezone": "Europe/Berlin", "capacity": "2",
              "availability": weekly_hours((18, 19))},
        lena={"topics": ["Leadership"], "timezone": "America/New_York",
              "availability": weekly_hours((12, 13))})
    lena_id = _person_id(server, pair_id, "mentee")
    mona_id = _person_id(server, pair_id, "mentor")

    frame = open_course_page(page, server)

    _learner_starts(page, frame)
    assert _ticks(server) == [("tech", lena_id)]
    [version] = _agreement(server)
    assert version == {
        "number": 1, "proposed_by": "Lena Learner", "mentee_accepted": True,
        "mentor_accepted": False, "signed": False, "frequency": "weekly", "minutes": 45,
        "fallback": "chat", "confidentiality": CONFIDENTIALITY, "boundaries": BOUNDARIES,
        "mentee_hopes": LENA_HOPES}

    _mentor_signs(page, frame)
    [version] = _agreement(server)
    assert version["signed"] and version["mentor_accepted"] and version["number"] == 1

    _learner_plans(page, frame)
    assert _goals(server) == [(GOAL, "Lena Learner", 50, [(MILESTONES[0], True, True),
                                                          (MILESTONES[1], False, False)])]
    journal = _journal(server)
    assert journal["uses"] == [(GUIDE, "Lena Learner", None)]
    assert journal["recaps"] == [("Lena Learner", TAKEAWAYS, False, None)]
    assert journal["actions"] == [(ACTION, "Lena Learner", "Lena Learner", "open", True)]
    [(author, body, message_id)] = journal["messages"]
    assert (author, body) == ("Lena Learner", MESSAGE)
    assert _last_read(server, mona_id) == 0

    _mentor_reads(page, frame)
    assert _last_read(server, mona_id) == message_id

    assert dialogs == []  # the <script> in the recap never ran
    assert_no_tool_cookie_if_blocked(page, server)


def _learner_starts(page, frame):
    """Lena ticks the set-up check of her checklist and proposes the agreement."""
    _open_workspace(page, frame, "Lena Learner", "Mona Mentor")
    expect(frame.get_by_role("heading", name="Your mentor: Mona Mentor")).to_be_visible()
    expect(_state(frame, "Agreement")).to_have_text("Not started yet")
    expect(_state(frame, "Getting started")).to_contain_text(f"You: 0 of {TOTAL_ITEMS} done")

    follow(frame.get_by_role("link", name="Getting started", exact=True))
    frame.get_by_role("heading", name="Getting started with Mona Mentor").wait_for()
    expect(frame.get_by_text(f"You: 0 of {TOTAL_ITEMS} done")).to_be_visible()
    tech = _section(frame, "Check your set-up before the first call")
    expect(tech).to_contain_text("Use headphones or earbuds with a microphone")
    expect(tech).to_contain_text("You: not yet · Mona: not yet")
    agreement = _section(frame, "Sign your mentoring agreement")
    expect(agreement).to_contain_text("Not yet: this one ticks itself.")
    expect(agreement.get_by_role("button")).to_have_count(0)  # nothing to tick by hand
    press(tech.get_by_role("button", name="Done: tick it"))
    _flash(frame, "Ticked.")
    expect(frame.get_by_text(f"You: 1 of {TOTAL_ITEMS} done")).to_be_visible()
    tech = _ticked(frame, "Check your set-up before the first call")
    expect(tech).to_contain_text("You: done (")
    expect(tech.get_by_role("button", name="Untick")).to_be_visible()
    expect(frame.get_by_role("progressbar", name="Your progress")).to_have_attribute("value", "1")
    screenshot(page, "workspace-1-learner-checklist")

    follow(frame.get_by_role("link", name="Agreement", exact=True))
    frame.get_by_role("heading", name="Your mentoring agreement with Mona Mentor").wait_for()
    # A writing page says who can read it.
    expect(frame.locator("p.privacy")).to_have_text(
        "Only you and Mona Mentor can read this. Program staff see only dates, counts and "
        "statuses.")
    frame.get_by_label("How often you meet").select_option(label="Every week")
    frame.get_by_label("How long (minutes)").fill("45")
    frame.get_by_label("How you meet first of all").select_option(label="Video call")
    frame.get_by_label("When that is not possible").select_option(label="Chat or e-mail")
    frame.get_by_label("How soon you answer each other's messages").select_option(
        label="Within two working days")
    frame.get_by_label("Confidentiality: what stays between you").fill(CONFIDENTIALITY)
    frame.get_by_label("Boundaries: what you keep to, and what is off limits").fill(BOUNDARIES)
    frame.get_by_label("What Lena Learner wants from the relationship").fill(LENA_HOPES)
    _show(frame, "Propose your agreement")
    screenshot(page, "workspace-2-learner-proposes-agreement")
    press(frame.get_by_role("button", name="Propose it to Mona Mentor"))

    _flash(frame, "Version 1 is proposed. Mona Mentor has been told")
    pending = _section(frame, "Version 1, proposed by you")
    expect(pending).to_contain_text("Waiting for Mona Mentor to accept it or suggest changes.")
    expect(pending).to_contain_text(CONFIDENTIALITY)
    expect(pending.get_by_role("button", name="I accept version 1")).to_have_count(0)


def _mentor_signs(page, frame):
    """Mona finds the agreement waiting for her and accepts it; the checklist ticks itself."""
    _open_workspace(page, frame, "Mona Mentor", "Lena Learner")
    expect(frame.get_by_role("heading", name="Your mentee: Lena Learner")).to_be_visible()
    expect(_state(frame, "Agreement")).to_have_text("version 1 waits for you to accept it")
    expect(_state(frame, "Getting started")).to_contain_text(
        f"You: 0 of {TOTAL_ITEMS} done · Lena: 1 of {TOTAL_ITEMS}")

    follow(frame.get_by_role("link", name="Agreement", exact=True))
    pending = _section(frame, "Version 1, proposed by Lena Learner")
    expect(pending).to_contain_text(BOUNDARIES)
    expect(pending).to_contain_text(LENA_HOPES)
    expect(pending).to_contain_text("Every week")
    screenshot(page, "workspace-3-mentor-agreement-waits")
    press(pending.get_by_role("button", name="I accept version 1"))

    _flash(frame, "Accepted: your agreement is signed.")
    signed = _section(frame, "Your agreement (version 1)")
    expect(signed).to_contain_text("Signed on ")
    expect(signed).to_contain_text("Accepted by Lena Learner on ")
    expect(signed).to_contain_text(" and by you on ")
    expect(signed).to_contain_text(CONFIDENTIALITY)
    expect(frame.get_by_role("button", name=re.compile("I accept"))).to_have_count(0)
    screenshot(page, "workspace-4-mentor-agreement-signed")

    follow(frame.get_by_role("link", name="Getting started", exact=True))
    agreement = _ticked(frame, "Sign your mentoring agreement")
    expect(agreement).to_contain_text("Done: this one ticks itself.")
    expect(frame.get_by_text(f"You: 1 of {TOTAL_ITEMS} done")).to_be_visible()
    expect(frame.get_by_text(f"Lena: 2 of {TOTAL_ITEMS} done")).to_be_visible()


def _learner_plans(page, frame):
    """Lena sees the agreement signed, adds a goal, picks and reads a guide, writes a recap
    with an action item and sends a message."""
    _open_workspace(page, frame, "Lena Learner", "Mona Mentor")
    expect(_state(frame, "Agreement")).to_contain_text("Signed on ")
    expect(_state(frame, "Agreement")).to_contain_text("(version 1)")
    follow(frame.get_by_role("link", name="Getting started", exact=True))
    expect(_ticked(frame, "Sign your mentoring agreement")).to_contain_text(
        "Done: this one ticks itself.")
    expect(frame.get_by_text(f"You: 2 of {TOTAL_ITEMS} done")).to_be_visible()

    # A goal with two milestones, one of them done.
    follow(frame.get_by_role("link", name="Goals", exact=True))
    frame.get_by_role("heading", name="Goals with Mona Mentor").wait_for()
    expect(frame.get_by_text("No goals yet.")).to_be_visible()
    frame.get_by_label("The goal").fill(GOAL)
    frame.get_by_label("How you will know you have reached it").fill(
        "The team delivers its first milestone on time.")
    frame.get_by_label("Milestones, one a line (optional)").fill("\n".join(MILESTONES))
    press(frame.get_by_role("button", name="Add the goal"))
    _flash(frame, "Goal added.")
    goal = _section(frame, f"{GOAL} Active")
    progress = goal.get_by_role("progressbar", name=f"Progress of {GOAL}")
    expect(progress).to_have_attribute("value", "0")
    expect(goal).to_contain_text("(0 of 2 milestones)")
    press(goal.get_by_role("button", name=_action("Mark done", MILESTONES[0])))
    _flash(frame, "Milestone done.")
    goal = _section(frame, f"{GOAL} Active")
    expect(goal.get_by_role("progressbar", name=f"Progress of {GOAL}")).to_have_attribute(
        "value", "50")
    expect(goal).to_contain_text("50 % (1 of 2 milestones)")
    expect(goal.locator("ul.milestones li").first).to_contain_text(f"☑ {MILESTONES[0]} (done ")
    expect(goal.locator("ul.milestones li").nth(1)).to_contain_text(f"☐ {MILESTONES[1]}")
    expect(goal.get_by_role("button", name=_action("Reopen", MILESTONES[0]))).to_be_visible()
    expect(goal.get_by_role("button", name=_action("Mark done", MILESTONES[1]))).to_be_visible()
    _show(frame, "Goals with Mona Mentor")
    screenshot(page, "workspace-5-learner-goal")

    # The first-meeting guide as the agenda, then read.
    follow(frame.get_by_role("link", name="Overview", exact=True))
    follow(frame.get_by_role("link", name="Guides", exact=True))
    frame.get_by_role("heading", name="Conversation guides with Mona Mentor").wait_for()
    agenda = _section(frame, "Your agenda")
    expect(agenda).to_contain_text("Nothing on your agenda yet")
    row = frame.get_by_role("row").filter(has=frame.get_by_role("link", name=GUIDE))
    expect(row).to_contain_text("Not chosen yet")
    press(row.get_by_role("button", name="Choose", exact=True))
    _flash(frame, f"“{GUIDE}” is on your agenda.")
    agenda = _section(frame, "Your agenda")
    expect(agenda).to_contain_text("chosen by you")
    expect(frame.get_by_role("row").filter(has=frame.get_by_role("link", name=GUIDE))
           ).to_contain_text("On the agenda")
    follow(agenda.get_by_role("link", name=GUIDE))

    guide = frame.locator("article.guide")
    expect(guide.get_by_role("heading", name=GUIDE, level=1)).to_be_visible()
    expect(guide).to_contain_text("Suggested for week 1")
    for section in ("Purpose", "Discussion questions", "Exercise", "Resources"):
        expect(guide.get_by_role("heading", name=section, level=2)).to_be_visible()
    questions = guide.locator("ol > li")
    expect(questions.first).to_have_text(re.compile(r"^What is your story so far"))
    expect(questions.first).to_be_visible()
    expect(guide.locator("ul > li").first).to_be_visible()
    expect(guide.locator("strong", has_text="Three things in common")).to_be_visible()
    assert "## " not in guide.inner_text()  # rendered, not shown as Markdown
    external = guide.get_by_role("link", name="https://en.wikipedia.org/wiki/Active_listening")
    expect(external).to_have_attribute("target", "_blank")
    expect(external).to_have_attribute("rel", "noopener noreferrer")
    screenshot(page, "workspace-6-learner-reads-guide")

    # A recap with an action item for herself; the <script> comes out as text.
    follow(frame.get_by_role("link", name="Guides with Mona Mentor"))
    follow(frame.get_by_role("link", name="Recaps and action items"))
    frame.get_by_role("heading", name="Recaps and action items with Mona Mentor").wait_for()
    expect(frame.locator("p.privacy")).to_have_text(
        "Only you and Mona Mentor can read this. Program staff see only dates, counts and "
        "statuses, and the recaps you choose to share.")
    expect(frame.get_by_text("No recap yet.")).to_be_visible()
    write = _section(frame, "Write a recap")
    write.get_by_label("What you take away").fill(TAKEAWAYS)
    write.get_by_label("New action item (optional)").fill(ACTION)
    write.get_by_label("Whose").select_option(label="Me")
    expect(write.get_by_label("Share this recap with the program staff")).not_to_be_checked()
    press(write.get_by_role("button", name="Save the recap"))

    _flash(frame, "Recap saved.")
    recap = frame.locator("article.recap")
    expect(recap).to_have_count(1)
    expect(recap.locator("h3")).to_contain_text("by you")
    expect(recap.locator("div.text").first).to_have_text(TAKEAWAYS)
    expect(recap.locator("script")).to_have_count(0)
    actions = _section(frame, "Action items").get_by_role("row").filter(has_text=ACTION)
    expect(actions).to_have_count(1)
    expect(actions.get_by_role("cell").nth(1)).to_have_text("Me")
    expect(actions.get_by_label(f"Status of {ACTION}")).to_have_value("open")
    _show(frame, "Recaps")
    screenshot(page, "workspace-7-learner-recap")

    # A message for Mona.
    follow(frame.get_by_role("link", name="Messages", exact=True))
    frame.get_by_role("heading", name="Messages with Mona Mentor").wait_for()
    expect(frame.locator("p.privacy")).to_have_text(
        "Only you and Mona Mentor can read this. Program staff see only dates, counts and "
        "statuses.")
    frame.get_by_label("Your message").fill(MESSAGE)
    press(frame.get_by_role("button", name="Send", exact=True))
    mine = frame.locator("ol.thread li.mine")
    expect(mine).to_have_count(1)
    expect(mine.locator("p.meta")).to_contain_text("You · ")
    expect(mine.locator("div.text")).to_have_text(MESSAGE)


def _mentor_reads(page, frame):
    """Mona finds "1 new message" on her home page, reads it, and reads Lena's recap."""
    launch_in_frame(page, "Mona Mentor")
    frame.get_by_role("heading", name="Welcome, Mona").wait_for()
    new = frame.get_by_role("link", name="1 new message", exact=True)
    expect(new).to_be_visible()
    screenshot(page, "workspace-8-mentor-new-message")
    follow(new)

    frame.get_by_role("heading", name="Messages with Lena Learner").wait_for()
    theirs = frame.locator("ol.thread li.theirs.unread")
    expect(theirs).to_have_count(1)
    expect(theirs.locator("p.meta")).to_contain_text("Lena Learner · ")
    expect(theirs.locator("p.meta")).to_contain_text("· new")
    expect(theirs.locator("div.text")).to_have_text(MESSAGE)
    screenshot(page, "workspace-9-mentor-reads-message")

    follow(frame.get_by_role("link", name="Recaps and action items"))
    frame.get_by_role("heading", name="Recaps and action items with Lena Learner").wait_for()
    recap = frame.locator("article.recap")
    expect(recap).to_have_count(1)
    expect(recap.locator("h3")).to_contain_text("by Lena Learner")
    expect(recap.locator("div.text").first).to_have_text(TAKEAWAYS)
    expect(recap.locator("script")).to_have_count(0)
    expect(recap.locator("details")).to_have_count(0)  # only its author edits it
    actions = _section(frame, "Action items").get_by_role("row").filter(has_text=ACTION)
    expect(actions.get_by_role("cell").nth(1)).to_have_text("Lena Learner")
    expect(actions.get_by_role("cell").nth(3)).to_have_text("Open")  # not hers to change
    _show(frame, "Recaps")
    screenshot(page, "workspace-10-mentor-reads-recap")

    follow(frame.get_by_role("link", name="Back to your program"))
    frame.get_by_role("heading", name="Welcome, Mona").wait_for()
    expect(frame.get_by_role("link", name=re.compile(r"new message"))).to_have_count(0)
