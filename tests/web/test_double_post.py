"""A form that creates something, sent twice with the same body (the back button, a double
click, a retry after a lost answer), creates it once, and the repeat is answered with a 303 to
what the first sending made (lti_tool/web/submissions.py). Through real signed launches; the
sendings racing each other go to a live server over loopback.

Nothing here imports lti_tool/web/submissions.py: this module also runs against the code
before submission keys, where the double post stores two rows."""

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import sqlalchemy as sa

from lti_tool.courses import services as course_services
from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.grades import services as grades
from lti_tool.grades.models import GradeAudit
from lti_tool.guides.models import Guide
from lti_tool.intake.models import Question
from lti_tool.journal.models import ActionItem, Message, Recap
from lti_tool.meetings.models import Meeting, ProgramEvent
from lti_tool.pairs import services as pair_services
from lti_tool.pairs.models import Pair
from lti_tool.relationships.models import Story
from lti_tool.sandbox import models as lms
from lti_tool.sandbox.testing import browser_launch, launch_form
from lti_tool.surveys import services as surveys
from lti_tool.surveys.models import SurveyResponse
from lti_tool.web.sessions import read_token
from lti_tool.workspace.models import AgreementVersion, Goal
from tests.support.clients import Participant
from tests.support.forms import all_forms, count, hidden_fields, without_token
from tests.support.pairs import person_id

ALREADY_SENT = "Already sent — here it is.".encode()
INSTRUCTOR = "3"  # of the sandbox's demo course
TIMEOUT = 20  # seconds: every wait on the live server is bounded


def post_twice(person, action: str, body: dict):
    first = person.client.post(person.url(action), data=body)
    again = person.client.post(person.url(action), data=body)
    return first, again


# --- The attack ---------------------------------------------------------------------------

def test_a_message_posted_twice_is_stored_once(app, pair):
    _, _, lena, pair_id = pair
    path = f"/pairs/{pair_id}/messages"
    body = {**hidden_fields(lena.get(path).data, path), "body": "Are we still on for Monday?"}
    first, again = post_twice(lena, path, body)
    assert first.status_code == 303
    assert count(app, Message) == 1, "the same form sent twice made two messages"
    assert again.status_code == 303
    assert without_token(again.headers["Location"]) == without_token(first.headers["Location"])
    shown = lena.client.get(again.headers["Location"]).data
    assert ALREADY_SENT in shown and b"Are we still on for Monday?" in shown


# --- Every feature's create forms --------------------------------------------------------

def _future_day() -> str:
    return (date.today() + timedelta(days=10)).isoformat()


def _first_common_time(html: bytes) -> dict:
    slot = re.search(rb'name="slots" value="([^"]+)"', html).group(1).decode()
    return {"slots": slot, "minutes": "45", "modality": "video"}


def _first_option(html: bytes, name: str) -> str:
    select = html[html.index(f'name="{name}"'.encode()):]
    return re.search(rb'<option[^>]* value="([^"]+)"', select).group(1).decode()


def _grades_computed(app, pair_id):
    with app.app_context():
        grades.recompute(db.session.get(Pair, pair_id).program)
        db.session.commit()


def _checkin_due(app, pair_id):
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        pair.started_at -= timedelta(days=8)
        db.session.commit()


def _questions(app) -> int:
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        return len(surveys.settings_of(program).questions)


@dataclass(frozen=True)
class Case:
    name: str
    who: str  # staff | mona | lena
    page: str  # {pair} and {lena} are filled in
    action: str
    data: dict | Callable[[bytes], dict]  # the typed fields, or made from the page
    rows: Callable  # (app) -> how many of what the form creates
    setup: Callable | None = None  # (app, pair_id)


TERMS = {"frequency": "biweekly", "minutes": "45", "preferred_channel": "video",
         "fallback_channel": "phone", "response_time": "two_days",
         "confidentiality": "What we say stays between us.",
         "boundaries": "We say early when we cannot make it.", "base": ""}

CASES = [
    Case("journal-recap", "lena", "/pairs/{pair}/journal", "/pairs/{pair}/journal/recaps",
         {"takeaways": "Ask for feedback early", "meeting": ""},
         lambda app: count(app, Recap)),
    Case("journal-action", "mona", "/pairs/{pair}/journal", "/pairs/{pair}/journal/actions",
         lambda html: {"title": "Send two articles", "owner": _first_option(html, "owner")},
         lambda app: count(app, ActionItem)),
    Case("meetings-propose", "lena", "/pairs/{pair}/meetings", "/pairs/{pair}/meetings/propose",
         _first_common_time, lambda app: count(app, Meeting)),
    Case("meetings-event", "staff", "/events", "/events",
         {"title": "Spring meetup", "day": _future_day(), "time": "17:00", "minutes": "60",
          "modality": "video"}, lambda app: count(app, ProgramEvent)),
    Case("workspace-agreement", "lena", "/pairs/{pair}/agreement", "/pairs/{pair}/agreement",
         TERMS, lambda app: count(app, AgreementVersion)),
    Case("workspace-goal", "lena", "/pairs/{pair}/goals", "/pairs/{pair}/goals",
         {"title": "Give a talk"}, lambda app: count(app, Goal)),
    Case("relationships-story", "lena", "/stories/new", "/stories/new",
         {"title": "My year", "body": "It changed a lot", "consent": "y"},
         lambda app: count(app, Story)),
    Case("pairs-question", "staff", "/matching/settings", "/matching/questions",
         {"prompt": "Which city?", "options": "Berlin\nNew York"},
         lambda app: count(app, Question)),
    Case("guides-new", "staff", "/guides/new", "/guides/new",
         {"title": "Networking online", "body": "## Purpose", "action": "save"},
         lambda app: count(app, Guide, title="Networking online")),
    Case("surveys-question", "staff", "/surveys", "/surveys/questions",
         {"text": "How easy was the video tool?", "kind": "scale", "surveys": "midpoint"},
         _questions),
    Case("surveys-checkin", "lena", "/pairs/{pair}/checkin", "/pairs/{pair}/checkin",
         {"rating": "4", "comment": "Going fine"}, lambda app: count(app, SurveyResponse),
         _checkin_due),
    Case("grades-override", "staff", "/grades/{lena}", "/grades/{lena}/override",
         {"score": "45", "reason": "Led the cohort's meetup"},
         lambda app: count(app, GradeAudit), _grades_computed),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_create_form_sent_twice_creates_once(app, pair, case):
    staff, mona, lena, pair_id = pair
    person = {"staff": staff, "mona": mona, "lena": lena}[case.who]
    if case.setup:
        case.setup(app, pair_id)
    values = {"pair": pair_id, "lena": person_id(app, "10")}
    page = person.get(case.page.format(**values))
    assert page.status_code == 200, page.data[:300]
    action = case.action.format(**values)
    typed = case.data(page.data) if callable(case.data) else case.data
    before = case.rows(app)
    first, again = post_twice(person, action, {**hidden_fields(page.data, action), **typed})
    assert first.status_code == 303, first.data[:500]
    assert case.rows(app) == before + 1
    assert again.status_code == 303
    assert without_token(again.headers["Location"]) == without_token(first.headers["Location"])
    assert ALREADY_SENT in person.client.get(again.headers["Location"]).data


def test_every_rendering_of_a_form_has_its_own_key(app, pair):
    """One form instance serves every row of a table (here: each guide's "choose" button);
    each row still sends a key of its own, and a page shown twice gets new ones."""
    _, _, lena, pair_id = pair
    page = f"/pairs/{pair_id}/guides"
    html = lena.get(page).data
    keys = [fields.get("submission_key") for action, fields in all_forms(html)
            if re.fullmatch(rf"/pairs/{pair_id}/guides/\d+/choose", urlsplit(action).path)]
    assert len(keys) > 3 and None not in keys
    assert len(set(keys)) == len(keys)
    again = [fields.get("submission_key") for _, fields in all_forms(lena.get(page).data)]
    assert not set(keys) & set(again)


# --- Invalid and refused sendings store nothing; the corrected one keeps the key -----------

def test_an_invalid_form_then_the_corrected_one_with_the_same_key(app, pair):
    _, _, lena, pair_id = pair
    path = f"/pairs/{pair_id}/messages"
    fields = hidden_fields(lena.get(path).data, path)
    refused = lena.client.post(lena.url(path), data={**fields, "body": ""})
    assert refused.status_code == 400 and count(app, Message) == 0
    shown_again = hidden_fields(refused.data, path)
    assert shown_again["submission_key"] == fields["submission_key"]
    # The page's other form (the e-mail switch) was not the one sent: a key of its own.
    other = hidden_fields(refused.data, f"{path}/email")
    assert other["submission_key"] != fields["submission_key"]
    corrected = {**shown_again, "body": "Sorry, here is my message"}
    first, again = post_twice(lena, path, corrected)
    assert (first.status_code, again.status_code) == (303, 303)
    with app.app_context():
        assert [m.body for m in db.session.scalars(sa.select(Message))] == [
            "Sorry, here is my message"]


def test_a_refused_sending_then_the_accepted_one_with_the_same_key(app, pair):
    """The story service refuses a story without consent: nothing is kept, and the same key
    then carries the story with consent."""
    _, _, lena, _ = pair
    fields = hidden_fields(lena.get("/stories/new").data, "/stories/new")
    story = {"title": "My year", "body": "It changed a lot"}
    refused = lena.client.post(lena.url("/stories/new"), data={**fields, **story})
    assert refused.status_code == 400 and b"Tick the box" in refused.data
    # The page shown again keeps the key it was sent with (its CSRF token is signed anew).
    kept = hidden_fields(refused.data, "/stories/new")
    assert kept["submission_key"] == fields["submission_key"]
    first, again = post_twice(lena, "/stories/new", {**fields, **story, "consent": "y"})
    assert (first.status_code, again.status_code) == (303, 303)
    assert count(app, Story) == 1


# --- Keys that no page makes; no key at all; someone else's key --------------------------

@pytest.mark.parametrize("key", [
    "x" * 65, "short", "fifteen-chars-x", "a" * 20 + "!", "é" * 20, "<b>bold</b><i>x</i>",
    "a b c d e f g h i j k", "../../../etc/passwd", "x" * 10_000, "%00" * 10,
    "0123456789abcdef\n", "' OR 1=1 --abcdefgh"])
def test_a_bogus_key_is_a_400_and_stores_nothing(app, pair, key):
    _, _, lena, pair_id = pair
    path = f"/pairs/{pair_id}/messages"
    fields = hidden_fields(lena.get(path).data, path)
    answer = lena.client.post(lena.url(path), data={**fields, "submission_key": key,
                                                    "body": "Hello"})
    assert answer.status_code == 400
    assert count(app, Message) == 0


def test_without_a_key_a_form_works_as_it_did(app, pair):
    """An old page or an API client sends no key: each sending is stored, as before."""
    _, _, lena, pair_id = pair
    path = f"/pairs/{pair_id}/messages"
    fields = {k: v for k, v in hidden_fields(lena.get(path).data, path).items()
              if k != "submission_key"}
    first, again = post_twice(lena, path, {**fields, "body": "Hello"})
    empty = lena.client.post(lena.url(path), data={**fields, "submission_key": "",
                                                   "body": "Hello"})
    assert [r.status_code for r in (first, again, empty)] == [303, 303, 303]
    assert count(app, Message) == 3


def test_the_same_key_from_someone_else_is_their_own_sending(app, pair):
    _, mona, lena, pair_id = pair
    path = f"/pairs/{pair_id}/messages"
    key = hidden_fields(lena.get(path).data, path)["submission_key"]
    lena.client.post(lena.url(path), data={**hidden_fields(lena.get(path).data, path),
                                           "submission_key": key, "body": "From Lena"})
    monas = {**hidden_fields(mona.get(path).data, path), "submission_key": key,
             "body": "From Mona"}
    first = mona.client.post(mona.url(path), data=monas)
    assert first.status_code == 303
    assert ALREADY_SENT not in mona.client.get(first.headers["Location"]).data
    again = mona.client.post(mona.url(path), data=monas)  # Mona's own repeat
    assert again.status_code == 303
    assert ALREADY_SENT in mona.client.get(again.headers["Location"]).data
    with app.app_context():
        assert sorted(m.body for m in db.session.scalars(sa.select(Message))) == [
            "From Lena", "From Mona"]


def test_a_key_sent_to_another_form_is_refused(app, pair):
    _, _, lena, pair_id = pair
    path = f"/pairs/{pair_id}/messages"
    fields = hidden_fields(lena.get(path).data, path)
    assert lena.client.post(lena.url(path), data={**fields, "body": "Hi"}).status_code == 303
    elsewhere = lena.client.post(lena.url(f"/pairs/{pair_id}/journal/actions"), data={
        **fields, "title": "Read chapter 3", "owner": person_id(app, "10")})
    assert elsewhere.status_code == 400 and b"already sent elsewhere" in elsewhere.data
    assert count(app, ActionItem) == 0


def test_a_repeat_from_a_new_launch_is_sent_with_that_launchs_token(app, platform, pair):
    _, _, lena, pair_id = pair
    path = f"/pairs/{pair_id}/messages"
    fields = hidden_fields(lena.get(path).data, path)
    first = lena.client.post(lena.url(path), data={**fields, "body": "Hello"})
    later = Participant(app, platform, "10", "Learner", "Lena Learner")  # a new session
    again = later.client.post(later.url(path), data={
        **hidden_fields(later.get(path).data, path),
        "submission_key": fields["submission_key"], "body": "Hello"})
    assert (first.status_code, again.status_code) == (303, 303)
    assert count(app, Message) == 1
    token = dict(parse_qsl(urlsplit(again.headers["Location"]).query))["pw"]
    with app.test_request_context():  # the answer opens the new session, not the old one
        assert read_token(token) == read_token(later.token) != read_token(lena.token)


# --- Two sendings at once, against a live server -----------------------------------------

def _slowly(monkeypatch, module, name: str) -> None:
    """The service holds its transaction open a while, so the second sending arrives while
    the first is still running."""
    original = getattr(module, name)

    def slow(*args, **kwargs):
        result = original(*args, **kwargs)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(module, name, slow)


def _at_once(url: str, body: dict, cookies) -> list[requests.Response]:
    """The same body POSTed by two threads released together; redirects not followed."""
    start, answers = threading.Barrier(2, timeout=TIMEOUT), [None, None]

    def send(index: int):
        http = requests.Session()
        http.cookies.update(cookies)
        start.wait()
        try:
            answers[index] = http.post(url, data=body, timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            answers[index] = exc

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * TIMEOUT)
    assert all(isinstance(a, requests.Response) for a in answers), answers
    return answers


def _deep_linking_page(server) -> tuple[requests.Session, str, dict]:
    """A staff deep-linking launch: the session, where its program form posts, and the form
    filled in."""
    http = requests.Session()
    with server.app.app_context():
        login_url, fields = launch_form(INSTRUCTOR, deep_linking=True)
    page = browser_launch(http, login_url, fields).response
    assert page.status_code == 200 and "Add a mentoring program" in page.text
    fields = {**hidden_fields(page.content, ""), "title": "Spring mentoring",
              "description": "", "score_maximum": "60", "meeting_minutes": "30"}
    return http, page.url, fields  # the form has no action: it posts to its page


def _handoff(page: requests.Response) -> tuple[str, dict]:
    """(the platform's return URL, the signed response) of the page handing back to it."""
    [(action, fields)] = [(action, fields) for action, fields in all_forms(page.content)
                          if "JWT" in fields]
    return action, fields


def test_deep_linking_sent_twice_at_once_makes_one_program(live_sandbox, monkeypatch):
    server = live_sandbox
    http, action, fields = _deep_linking_page(server)
    _slowly(monkeypatch, course_services, "create_program")
    answers = _at_once(action, fields, http.cookies)
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    assert count(server.app, Program) == 1
    targets = {without_token(a.headers["Location"]) for a in answers}
    assert len(targets) == 1 and targets.pop().startswith("/deep-link/programs/")
    handoff = http.get(server.tool_url + answers[0].headers["Location"], timeout=TIMEOUT)
    return_url, _ = _handoff(handoff)
    assert return_url.startswith(server.sandbox_url)
    # The handoff is made once: the platform does not get the program twice.
    again = http.get(server.tool_url + answers[1].headers["Location"], timeout=TIMEOUT)
    assert again.status_code == 400 and "already sent to your course" in again.text


def test_a_question_sent_twice_at_once_is_stored_once(live_sandbox, monkeypatch):
    server = live_sandbox
    http, action, fields = _deep_linking_page(server)
    return_url, jwt_fields = _handoff(http.post(action, data=fields, timeout=TIMEOUT))
    assert http.post(return_url, data=jwt_fields, timeout=TIMEOUT).status_code == 200
    with server.app.app_context():
        activity_id = db.session.scalars(sa.select(lms.Activity.id)).one()
        login_url, launch = launch_form(INSTRUCTOR, activity_id)
    staff = requests.Session()
    home = browser_launch(staff, login_url, launch).response
    token = dict(parse_qsl(urlsplit(home.url).query))["pw"]
    settings = staff.get(f"{server.tool_url}/matching/settings?pw={token}", timeout=TIMEOUT)
    body = {**hidden_fields(settings.content, "/matching/questions"),
            "prompt": "Which city?", "options": "Berlin\nNew York"}
    _slowly(monkeypatch, pair_services, "add_question")
    answers = _at_once(f"{server.tool_url}/matching/questions?pw={token}", body,
                       staff.cookies)
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    assert count(server.app, Question) == 1
    assert len({without_token(a.headers["Location"]) for a in answers}) == 1
