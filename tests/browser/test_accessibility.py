"""Accessibility in a real browser: axe-core (tests/support/axe.py) finds no serious or
critical WCAG 2.x A/AA violation, and no id used twice, on every page a learner, a mentor,
staff and an administrator reach, in the sandbox course page's iframe as in an LMS (the admin
pages at the top level), error pages included; and a learner completes the intake with the
keyboard alone (the skip link first), seeing where the focus is at every stop.

One sandbox for the sweep (tests/support/journeys.py): Mona (mentor) and Lena (learner) fill
their intakes over HTTP and the instructor publishes their match, moved back 25 days so that a
check-in is due and the dashboard has a pair to look at; the pair's workspace then gets an
agreement proposal, a goal with milestones, a shared recap with an action item, a message, a
guide on the agenda, a proposed and a scheduled meeting; the program gets an intake question;
Luis (learner) fills his intake and is proposed, unpublished; a story waits for staff and
another is published. The sweep then visits some 65 pages (Lucia's new intake, empty and
refused, deep linking and dynamic registration included) in one browser, in the default cookie
mode only: what a page is made of does not depend on how the session travels. About a minute.
"""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask import url_for
from playwright.sync_api import expect

from lti_tool.courses.models import Person, Role
from lti_tool.extensions import db
from lti_tool.guides import services as guides
from lti_tool.intake.models import Question
from lti_tool.journal import services as journal
from lti_tool.meetings import services as meetings
from lti_tool.notify import unsubscribe
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import Pair
from lti_tool.relationships import stories
from lti_tool.sandbox.testing import parse_form
from lti_tool.timeutil import utcnow
from lti_tool.workspace import services as workspace
from tests.support.axe import report, require_axe, serious_violations
from tests.support.browser import BASE_ARGS, CHROMIUM, screenshot
from tests.support.journeys import (
    IRIS,
    LUIS,
    add_sandbox_activity,
    intake_over_http,
    launch_over_http,
    link_in,
    pair_mona_with_lena,
    press,
    query,
    weekly_hours,
)

pytestmark = pytest.mark.browser

PROGRAM = "Accessible mentoring"
ADMIN_TOKEN = "testing-admin-token"  # config/testing.py


@pytest.fixture
def axe_installed():
    """Before anything is set up: without axe-core, skip (fail in CI)."""
    require_axe()


@pytest.fixture
def page(playwright_instance):
    """One browser, default cookies (the sweep does not depend on how the session travels)."""
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.cookie_mode = "default cookies"
    yield page
    context.close()
    browser.close()


# --- Setting up over HTTP and in the database -------------------------------------------------

def _propose_luis_over_http(server, activity_id) -> None:
    """The instructor proposes matches again (Luis with Mona), without publishing them."""
    with requests.Session() as http:
        home = launch_over_http(server, http, IRIS, activity_id)
        matching = http.get(link_in(home, "/matching"), timeout=10)
        action, form = parse_form(matching.text, matching.url)
        proposed = http.post(action, data={**form, "policy": "optimal"}, timeout=10)
        assert "Proposed 1 pair. Review it, then publish." in proposed.text


def _fill_the_workspace(server) -> dict:
    """Something on every page of the pair's workspace; returns the ids the pages need."""
    def fill():
        pair = db.session.scalars(sa.select(Pair)).one()
        pair.started_at = utcnow() - timedelta(days=25)
        lena, mona, program = pair.mentee, pair.mentor, pair.program
        workspace.propose_agreement(pair, lena, workspace.Terms(mentee_hopes="Feedback"), None)
        goal = workspace.add_goal(pair, lena, workspace.GoalInput(
            title="Lead a project team", milestones=("Ask for a project", "Run the kick-off")))
        workspace.set_milestone(goal.milestones[0], lena, True)
        journal.write_recap(pair, lena, "Listen first.", "Notes", shared=True,
                            actions=[("Book a chat with my manager", lena.id, None)])
        journal.post_message(pair, lena, "Thanks for today!")
        guide = guides.guides_for(program)[0]
        guides.choose(pair, lena, guide)
        times = meetings.common_times(pair, lena, 45)
        meetings.propose(pair, lena, [times[0].start, times[1].start],
                         meetings.Details(minutes=45, agenda="Getting to know each other"))
        scheduled = meetings.propose(pair, lena, [times[2].start], meetings.Details(minutes=45))
        meetings.respond(scheduled, mona, scheduled.options[0].id)
        told = stories.submit(program, lena, Role.LEARNER, "A good term", "We met weekly.",
                              show_name=True, consent=True)
        stories.decide(told, approve=True)
        stories.submit(program, mona, Role.MENTOR, "Learning too", "I learnt a lot.",
                       show_name=False, consent=True)
        db.session.add(Question(program_id=program.id, prompt="How do you like to work?",
                                options=["Alone", "In a team"], position=0))
        db.session.commit()
        return {"pair": pair.id, "goal": goal.id, "guide": guide.id, "lena": lena.id}
    return query(server, fill)


# --- Visiting -----------------------------------------------------------------------------------

def _launch_in_frame(page, name, heading):
    page.goto(page.sandbox_url + "/")
    press(page.get_by_role("button", name=f"Launch as {name}").first)
    page.frame_locator("iframe[name=tool-frame]").get_by_role(
        "heading", name=heading).first.wait_for()


def _tool_frame(page):
    return page.frame(name="tool-frame")


def _visit(page, path: str):
    """`path` in the tool's frame, with the frame's session token kept."""
    frame = _tool_frame(page)
    token = parse_qs(urlsplit(frame.url).query).get("pw")
    assert token, f"no session token in the frame's address {frame.url}"
    separator = "&" if "?" in path else "?"
    response = frame.goto(urljoin(frame.url, f"{path}{separator}pw={token[0]}"))
    return frame, response


class Sweep:
    """Pages checked so far and what axe said of each."""

    def __init__(self, page):
        self.page = page
        self.problems: dict[str, list[str]] = {}

    def check(self, name: str, target=None) -> None:
        target = target or _tool_frame(self.page)
        target.wait_for_load_state()
        self.problems[name] = serious_violations(target)

    def visit(self, who: str, path: str, status: int = 200) -> None:
        frame, response = _visit(self.page, path)
        assert response.status == status, f"{who} at {path}: {response.status}"
        self.check(f"{who} {path}", frame)


def _pages_if_present(server, *endpoints: tuple[str, dict]) -> list[str]:
    """The paths of those pages the app has (the privacy pages are newer than this test)."""
    known = {rule.endpoint for rule in server.app.url_map.iter_rules()}
    with server.app.test_request_context():
        return [url_for(endpoint, **values) for endpoint, values in endpoints
                if endpoint in known]


@pytest.mark.usefixtures("axe_installed")
def test_every_page_has_no_serious_accessibility_violation(live_sandbox, page):
    server = live_sandbox
    page.sandbox_url = server.sandbox_url
    activity_id, _ = pair_mona_with_lena(
        server, PROGRAM,
        mona={"expertise": ["Leadership"], "timezone": "Europe/Berlin", "capacity": "2",
              "availability": weekly_hours((18, 19))},
        lena={"topics": ["Leadership"], "timezone": "America/New_York",
              "availability": weekly_hours((12, 13, 14))})
    ids = _fill_the_workspace(server)
    question = query(server, lambda: db.session.scalar(sa.select(Question.id)))
    intake_over_http(server, LUIS, activity_id, topics=["Leadership"],
                     timezone="Europe/Berlin", availability=weekly_hours((18,), days=(0, 1)),
                     **{f"q_{question}": "Alone"})
    _propose_luis_over_http(server, activity_id)
    pair, goal, guide = ids["pair"], ids["goal"], ids["guide"]
    workspace_pages = [f"/pairs/{pair}", f"/pairs/{pair}/getting-started",
                       f"/pairs/{pair}/agreement", f"/pairs/{pair}/goals",
                       f"/pairs/{pair}/meetings", f"/pairs/{pair}/journal",
                       f"/pairs/{pair}/messages", f"/pairs/{pair}/guides", f"/guides/{guide}",
                       f"/pairs/{pair}/checkin"]
    sweep = Sweep(page)

    _launch_in_frame(page, "Lena Learner", "Welcome, Lena")
    sweep.check("learner home")
    for path in ["/intake", *workspace_pages, f"/goals/{goal}/edit", "/events", "/stories",
                 "/stories/new", "/notifications/",
                 *_pages_if_present(server, ("privacy.index", {}))]:
        sweep.visit("learner", path)
    sweep.visit("learner", "/no-such-page", status=404)
    sweep.visit("learner", "/dashboard", status=403)

    _launch_in_frame(page, "Mona Mentor", "Welcome, Mona")
    sweep.check("mentor home")
    for path in ["/intake", *workspace_pages, "/stories"]:
        sweep.visit("mentor", path)

    _launch_in_frame(page, "Lucia Learner", "Tell us about yourself")
    sweep.check("new learner's intake")
    press(_tool_frame(page).get_by_role("button", name="Save my answers"))
    _tool_frame(page).get_by_role("alert").wait_for()
    sweep.check("intake with errors")

    _launch_in_frame(page, "Iris Instructor", PROGRAM)
    sweep.check("staff home")
    for path in ["/roster", "/matching", "/matching/settings", "/mentors", "/dashboard",
                 f"/dashboard/pairs/{pair}", "/dashboard/settings", "/grades",
                 f"/grades/{ids['lena']}", "/grades/rubric",
                 "/guides/manage", "/guides/new", f"/guides/{guide}/edit",
                 f"/guides/{guide}/delete", f"/guides/{guide}", "/surveys",
                 "/agreement-template", "/events", "/shared-recaps", "/stories", "/notifications/",
                 *_pages_if_present(server, ("privacy.retention_settings", {}),
                                    ("privacy.erase", {"person_id": ids["lena"]}))]:
        sweep.visit("staff", path)

    _mentee_choice_pages(page, server, sweep)

    # Deep linking: the instructor adds an activity.
    page.goto(server.sandbox_url + "/")
    press(page.get_by_role("button", name="Add activity (deep linking) as Iris Instructor"))
    page.frame_locator("iframe[name=tool-frame]").get_by_label("Program title").wait_for()
    sweep.check("deep linking")

    _admin_pages(page, server, sweep)
    _email_pages(page, server, sweep)
    _registration_pages(page, server, sweep)
    screenshot(page, "accessibility-last-page")
    failing = {name: problems for name, problems in sweep.problems.items() if problems}
    assert not failing, report(failing)
    assert len(sweep.problems) >= 60, sorted(sweep.problems)  # every page was reached


def _email_pages(page, server, sweep):
    """What an e-mail leads to outside the LMS: the unsubscribe page; and the sandbox outbox,
    which shows each e-mail as its recipient sees it."""
    def lena_unsubscribe_url():
        person = db.session.scalars(sa.select(Person).filter_by(name="Lena Learner")).one()
        with server.app.test_request_context(base_url=server.tool_url):
            return unsubscribe.url_for_person(person)
    page.goto(query(server, lena_unsubscribe_url))
    sweep.check("unsubscribe", page.main_frame)
    page.goto(server.sandbox_url + "/outbox")
    sweep.check("sandbox outbox", page.main_frame)
    first = query(server, lambda: db.session.scalar(sa.select(sa.func.min(Notification.id))))
    page.goto(f"{server.sandbox_url}/outbox/{first}")
    sweep.check("an e-mail in the sandbox outbox", page.main_frame)


def _mentee_choice_pages(page, server, sweep):
    """Where mentees choose: Luis sees his recommended mentors and asks Mona, who finds the
    request on her home page."""
    def let_mentees_choose():
        from lti_tool.courses.models import Program
        for program in db.session.scalars(sa.select(Program)):
            program.mentee_choice = True
        db.session.commit()
    query(server, let_mentees_choose)
    _launch_in_frame(page, "Luis Learner", "Welcome, Luis")
    sweep.check("learner choosing a mentor")
    frame = page.frame_locator("iframe[name=tool-frame]")
    press(frame.get_by_role("button", name="Ask Mona Mentor to be my mentor"))
    frame.locator("p.flash").wait_for()
    sweep.check("learner who asked a mentor")
    _launch_in_frame(page, "Mona Mentor", "Welcome, Mona")
    frame.get_by_role("heading", name="Luis Learner").wait_for()  # his request
    sweep.check("mentor asked by a learner")


def _admin_pages(page, server, sweep):
    page.goto(server.tool_url + "/admin/sign-in")
    sweep.check("admin sign-in", page.main_frame)
    page.get_by_label(re.compile("token", re.I)).fill("not the token")
    press(page.get_by_role("button", name="Sign in"))
    page.wait_for_load_state()
    sweep.check("admin sign-in refused", page.main_frame)
    page.get_by_label(re.compile("token", re.I)).fill(ADMIN_TOKEN)
    press(page.get_by_role("button", name="Sign in"))
    page.wait_for_url(re.compile(r"/admin/(\?|$)"))
    sweep.check("admin platforms", page.main_frame)
    page.goto(server.tool_url + "/admin/tool-config")
    sweep.check("admin tool configuration", page.main_frame)
    page.goto(server.tool_url + "/lti/launch-nothing-here")
    sweep.check("404 at the top level", page.main_frame)
    # A launch the tool refuses (a forged id_token): the launch error page.
    page.evaluate("""(url) => { const form = document.createElement("form");
        form.method = "post"; form.action = url;
        const input = document.createElement("input"); input.name = "id_token";
        input.value = "not-a-token"; form.append(input); document.body.append(form);
        form.submit(); }""", server.tool_url + "/lti/launch")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_be_visible()
    sweep.check("launch error", page.main_frame)


def _registration_pages(page, server, sweep):
    """Dynamic registration in the sandbox's frame: the confirmation and the done page."""
    page.goto(server.sandbox_url + "/register-tool")
    press(page.get_by_role("button", name="Start registration"))
    registration = page.frame_locator("iframe[name=registration-frame]")
    registration.get_by_role("button", name="Register").wait_for()
    sweep.check("dynamic registration", page.frame(name="registration-frame"))
    press(registration.get_by_role("button", name="Register"))
    registration.get_by_text("is registered").wait_for()
    sweep.check("dynamic registration done", page.frame(name="registration-frame"))


# --- Keyboard only ------------------------------------------------------------------------------

# What has the focus in a document, and whether it shows it (an outline or a box shadow).
_FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || !document.hasFocus()) { return null; }
  const style = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
  return {tag: e.tagName.toLowerCase(), type: e.type || "", name: e.name || "",
          value: e.value || "", id: e.id, cls: e.className, checked: !!e.checked,
          text: (e.getAttribute("aria-label") || label || e.innerText || "").trim(),
          visible: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0,
          ring: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2)
                || style.boxShadow !== "none"};
}"""
# Monday and Tuesday, 18:00 to 20:00 (the grid's values: weekday-hour).
HOURS = {"0-18", "0-19", "1-18", "1-19"}


def _tab(page, target, shift=False):
    """Press Tab (or Shift+Tab) once; what then has the focus in `target`."""
    page.keyboard.press("Shift+Tab" if shift else "Tab")
    return target.evaluate(_FOCUSED)


def _tab_until(page, target, wanted, limit=60):
    for _ in range(limit):
        focused = _tab(page, target)
        if focused and wanted(focused):
            return focused
    pytest.fail(f"Tab never reached what was wanted in {target.url}")


def _answer_with_keys(page, frame) -> list[dict]:
    """Tab through the intake to its button, answering on the way; every stop must show
    where the focus is. Returns the stops."""
    seen = []
    for _ in range(400):
        focused = _tab(page, frame)
        assert focused, f"the focus left the page after {seen[-3:]}"
        seen.append(focused)
        assert focused["visible"] and focused["ring"], f"no visible focus on {focused}"
        if (focused["name"], focused["value"]) in (("topics", "Leadership"),
                                                   ("languages", "en")):
            page.keyboard.press("Space")
        elif focused["name"] == "goals_text":
            page.keyboard.type("Lead a small team well.")
        elif focused["name"] == "availability":  # the week grid: one Tab stop
            _tick_with_arrows(page, frame, focused["value"])
        elif focused["name"] == "modality":  # a radio group: one stop, at the chosen one
            assert focused["checked"] and focused["value"] == "video", focused
        elif focused["tag"] == "button" and focused["text"] == "Save my answers":
            return seen
    pytest.fail(f"Tab never reached the intake's button: {seen[-3:]}")


def _tick_with_arrows(page, frame, start: str) -> None:
    """In the week grid (static/availability.js): arrow keys to each of HOURS, Space there;
    every cell passed shows the focus."""
    day, hour = map(int, start.split("-"))
    for value in sorted(HOURS):
        to_day, to_hour = map(int, value.split("-"))
        moves = (["ArrowRight"] * (to_day - day) + ["ArrowLeft"] * (day - to_day)
                 + ["ArrowDown"] * (to_hour - hour) + ["ArrowUp"] * (hour - to_hour))
        for key in moves:
            page.keyboard.press(key)
        focused = frame.evaluate(_FOCUSED)
        assert focused["value"] == f"{to_day}-{to_hour:02d}", focused
        assert focused["visible"] and focused["ring"], f"no visible focus on {focused}"
        page.keyboard.press("Space")
        day, hour = to_day, to_hour


def _profile(server):
    def read():
        from lti_tool.intake.models import Profile
        row = db.session.scalars(sa.select(Profile)).one()
        return (row.topics, row.languages, row.goals_text,
                sorted(map(tuple, row.availability)), row.timezone)
    return query(server, read)


def test_a_learner_completes_the_intake_with_the_keyboard_alone(live_sandbox, page):
    server = live_sandbox
    add_sandbox_activity(server, PROGRAM)
    page.goto(server.sandbox_url + "/")
    # In the course page: to the launch button, then into the tool's frame.
    _tab_until(page, page.main_frame, lambda f: f["text"] == "Launch as Lucia Learner")
    page.keyboard.press("Enter")
    frame_locator = page.frame_locator("iframe[name=tool-frame]")
    frame_locator.get_by_role("heading", name="Tell us about yourself").wait_for()
    frame = _tool_frame(page)

    # Tab leaves the course page's button for the frame, whose first stop is the skip link.
    focused = _tab_until(page, frame, lambda f: True)
    assert focused["cls"] == "skip", focused
    assert focused["visible"] and focused["ring"], f"the skip link does not show: {focused}"
    screenshot(page, "keyboard-1-skip-link")
    page.keyboard.press("Enter")
    assert frame.evaluate("() => document.activeElement.id") == "main"

    seen = _answer_with_keys(page, frame)
    assert seen[-1]["text"] == "Save my answers", seen[-3:]
    assert seen[0]["name"] == "topics", seen[0]  # the skip link skipped the header
    names = {f["name"] for f in seen}
    assert {"topics", "goals_text", "languages", "timezone", "availability", "modality",
            "preferences"} <= names, names
    # Shift+Tab goes back a step, Tab forward again.
    assert _tab(page, frame, shift=True)["tag"] != "button"
    assert _tab(page, frame)["text"] == "Save my answers"
    screenshot(page, "keyboard-2-submit")
    page.keyboard.press("Enter")
    frame_locator.locator("p.flash").wait_for()
    errors = frame_locator.locator(".field-error").all_inner_texts()
    assert errors == [], errors
    expect(frame_locator.locator("p.flash")).to_contain_text("your answers are saved")

    screenshot(page, "keyboard-3-saved")

    topics, languages, goals, slots, zone = _profile(server)
    assert (topics, languages, goals) == (["Leadership"], ["en"], "Lead a small team well.")
    assert slots == [(day, minute) for day in (0, 1) for minute in (1080, 1110, 1140, 1170)]
    assert zone
