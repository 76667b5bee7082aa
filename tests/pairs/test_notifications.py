"""What publishing a match and a pair's term tell people: the match (to both: who, why, the
mentor's profile or the mentee's own words, a weekly time in both zones, first steps), the pair
extended, ending in a week, ended. For each: who gets it and who does not, when, in which
language, where its link lands, and never twice."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_date, format_datetime

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.intake.models import Profile
from lti_tool.notify.models import Notification
from lti_tool.pairs import messages, reminders
from lti_tool.pairs import services as matching
from lti_tool.pairs.models import MatchRun, Pair, Proposal
from lti_tool.timeutil import as_utc, utcnow
from tests.support.notified import LinkRecorder, told
from tests.support.pairing import LENA_CONSIDER, LENA_GOALS, cast, publish
from tests.support.pairs import followed

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
TOOL = "http://127.0.0.1:5000/"  # the test app's BASE_URL


@pytest.fixture
def people(app, platform):
    return cast(app, platform)


@pytest.fixture
def links(monkeypatch):
    return LinkRecorder().install(monkeypatch)


def by_recipient(kind: str, status: str | None = None) -> dict[int, Notification]:
    """The notifications of `kind` by recipient; fails if anyone has two (never twice)."""
    rows = [r for r in told(kind) if status is None or r.status == status]
    found = {row.recipient_id: row for row in rows}
    assert len(found) == len(rows), [r.dedupe_key for r in rows]
    return found


def weekly(start: datetime, zone: ZoneInfo, locale: str, place: str) -> str:
    return f"{format_datetime(start.astimezone(zone), 'EEEE HH:mm', locale=locale)} ({place} time)"


def day(value: date, locale: str) -> str:
    return format_date(value, "EEEE d MMMM y", locale=locale)


def nine(day_: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day_, time(9), zone).astimezone(UTC)


# --- Matches published -----------------------------------------------------------------------

def test_the_mentee_hears_who_why_the_mentors_profile_a_weekly_time_and_first_steps(
        app, people, links):
    pair_id = publish(app)
    with app.app_context():
        rows = by_recipient("match_published")
        assert set(rows) == {people.lena_id, people.mona_id}  # not Iris, not Otto
        pair = db.session.get(Pair, pair_id)
        start = datetime.fromisoformat(pair.slot["start_utc"])
        lena = rows[people.lena_id]
        assert lena.subject == "You have a mentor: Mona Mentor"
        assert f"Why you were matched: {pair.explanation}" in lena.body
        assert "Mona Mentor, in their own words:\n> I lead a team of twelve engineers.\n" \
               "> Ask me about first management jobs." in lena.body
        assert "Expertise: Leadership\nLanguages: English, German\n" \
               "Time zone: Europe/Berlin" in lena.body
        mine = weekly(start, NEW_YORK, "en", "New York")
        theirs = weekly(start, BERLIN, "en", "Berlin")
        assert (f"A weekly time that suits you both: {mine} for you, {theirs} for Mona."
                in lena.body)
        assert "First steps: propose a first meeting" in lena.body
        assert LENA_CONSIDER not in lena.body  # her own words go to her mentor only
        assert abs(as_utc(lena.send_after) - utcnow()) < timedelta(minutes=1)
        assert "Open your workspace: " + lena.link in lena.body
    hub = f"/pairs/{pair_id}"
    assert links.destinations(people.lena_id) == links.destinations(people.mona_id) == [hub]
    assert links.destinations(people.staff_id) == links.destinations(people.otto_id) == []


def test_the_mentor_reads_the_mentees_own_words_in_her_language(app, people, links):
    pair_id = publish(app)
    with app.app_context():
        mona = by_recipient("match_published")[people.mona_id]
        pair = db.session.get(Pair, pair_id)
        start = datetime.fromisoformat(pair.slot["start_utc"])
        assert mona.subject == "You have a new mentee: Lena Learner"
        assert f"Lena Learner, in their own words:\n> {LENA_GOALS}\n> \n" \
               f"> Anything to consider: {LENA_CONSIDER}" in mona.body
        assert "I want to lead my first project &lt;without&gt; burning out." in mona.html
        assert "Goals they chose: Leadership" in mona.body
        # Times in German (Babel: there is no German catalogue, so the sentences are English).
        mine, theirs = (weekly(start, BERLIN, "de", "Berlin"),
                        weekly(start, NEW_YORK, "de", "New York"))
        assert mine.startswith(format_datetime(start.astimezone(BERLIN), "EEEE", locale="de"))
        assert f"{mine} for you, {theirs} for Lena." in mona.body
        assert 'lang="de"' in mona.html
        assert "twelve engineers" not in mona.body  # her own bio is for her mentees


def test_a_mentee_who_wrote_nothing_is_introduced_without_a_quote(app, people, links):
    with app.app_context():
        profile = db.session.scalars(sa.select(Profile).filter_by(person_id=people.lena_id)).one()
        profile.goals_text = profile.preferences = ""
        db.session.commit()
    publish(app)
    with app.app_context():
        mona = by_recipient("match_published")[people.mona_id]
        assert "Lena Learner has not written about their goals yet: ask them in your first " \
               "meeting." in mona.body
        assert "in their own words" not in mona.body and "<blockquote" not in mona.html


def test_a_match_is_told_once(app, people, links):
    pair_id = publish(app)
    with app.test_request_context():
        pair = db.session.get(Pair, pair_id)
        assert messages.match_published(pair) == 0
        run = db.session.scalars(sa.select(MatchRun)).one()
        with pytest.raises(matching.MatchingError, match="already published"):
            matching.publish(run)
        db.session.commit()
        assert len(told("match_published")) == 2


def test_links_go_through_the_tool(app, people):
    publish(app)
    with app.app_context():
        for row in told("match_published"):
            assert row.link.startswith(TOOL) and row.link in row.body


def test_without_a_common_time_the_match_says_where_to_find_one(app, people, links):
    with app.test_request_context():
        program = db.session.scalars(sa.select(Program)).one()
        run = matching.propose(program, db.session.get(Person, people.staff_id), "optimal")
        db.session.scalars(sa.select(Proposal)).one().slot = {}
        matching.publish(run)
        db.session.commit()
        rows = told("match_published")
        assert len(rows) == 2
        for row in rows:
            assert "no weekly time in common: find one together on the meetings page" in row.body


# --- A pair's term: ending in a week, extended, ended ----------------------------------------

@pytest.fixture
def short(app, platform):
    """The cast in a two-week program: the end notice is due within the fortnight notices
    are queued ahead (`messages.PLAN_AHEAD`)."""
    return cast(app, platform, term_weeks=2)


def test_a_week_before_the_end_both_hear_of_it_at_nine_their_time(app, short, links):
    pair_id = publish(app)
    with app.app_context():
        ends = db.session.get(Pair, pair_id).ends_on
        rows = by_recipient("pair_ending")
        assert set(rows) == {short.lena_id, short.mona_id}  # not Iris, not Otto
        assert as_utc(rows[short.mona_id].send_after) == nine(ends - timedelta(days=7), BERLIN)
        assert as_utc(rows[short.lena_id].send_after) == nine(ends - timedelta(days=7), NEW_YORK)
        assert rows[short.lena_id].subject == "Your mentoring with Mona Mentor ends in a week"
        assert f"ends on {day(ends, 'de')}." in rows[short.mona_id].body
        assert "März" in day(date(2027, 3, 1), "de")  # German month names, from Babel
    assert links.destinations(short.mona_id) == [f"/pairs/{pair_id}"] * 2
    assert links.destinations(short.staff_id) == []


def test_an_end_further_than_a_fortnight_ahead_is_queued_by_the_daily_sweep(app, people):
    pair_id = publish(app)  # a twelve-week term
    with app.app_context():
        assert told("pair_ending") == []  # its link would be old by the time it goes
        pair = db.session.get(Pair, pair_id)
        notice = nine(pair.ends_on - timedelta(days=7), NEW_YORK)
        assert reminders.sweep(pair.program, notice - timedelta(days=20)) == 0
        # Outside a request, as the CLI runs it; once, however often it runs.
        assert reminders.sweep(pair.program, notice - timedelta(days=10)) == 2
        assert reminders.sweep(pair.program, notice - timedelta(days=9)) == 0
        rows = by_recipient("pair_ending")
        assert as_utc(rows[people.lena_id].send_after) == notice
        assert all(row.link.startswith(TOOL) for row in rows.values())
        db.session.commit()


def extend(staff, pair_id: int, until: date):
    return followed(staff, staff.post(f"/pairs/{pair_id}/extend", {"until": until.isoformat()},
                                      page="/matching"))


def test_each_extension_tells_both_the_new_date_and_moves_the_end_notice(app, short, links):
    pair_id = publish(app)
    with app.app_context():
        first_end = db.session.get(Pair, pair_id).ends_on
    later, latest = first_end + timedelta(days=3), first_end + timedelta(weeks=8)
    assert b"now runs until" in extend(short.staff, pair_id, later)
    with app.app_context():
        rows = by_recipient("pair_extended")
        assert set(rows) == {short.lena_id, short.mona_id}
        mona = rows[short.mona_id]
        assert f"it now runs until {day(later, 'de')} instead of {day(first_end, 'de')}." \
               in mona.body
        assert mona.subject == ("Your mentoring with Lena Learner continues until "
                                f"{day(later, 'de')}")
        pending = by_recipient("pair_ending", "pending")
        assert as_utc(pending[short.lena_id].send_after) == nine(later - timedelta(days=7),
                                                                 NEW_YORK)
        assert len(by_recipient("pair_ending", "cancelled")) == 2
    extend(short.staff, pair_id, latest)  # far out: the sweep will queue its notice
    with app.app_context():
        extended = told("pair_extended")
        assert len(extended) == 4  # a second extension is an event of its own
        assert day(latest, "en") in next(row.body for row in extended[2:]
                                         if row.recipient_id == short.lena_id)
        assert {row.status for row in told("pair_ending")} == {"cancelled"}
    assert links.destinations(short.lena_id) == [f"/pairs/{pair_id}"] * 5


def end(staff, pair_id: int, status: str, avoid_again: bool = False):
    data = {"status": status, "reason": "Moved abroad", "confirmed": "yes"}
    if avoid_again:
        data["avoid_again"] = "y"
    return followed(staff, staff.post(f"/pairs/{pair_id}/end", data, page="/matching"))


def test_ending_early_says_what_happens_next_and_cancels_the_end_notice(app, short, links):
    pair_id = publish(app)
    end(short.staff, pair_id, "ended")
    with app.app_context():
        rows = by_recipient("pair_ended")
        assert set(rows) == {short.lena_id, short.mona_id}
        lena, mona = rows[short.lena_id], rows[short.mona_id]
        assert lena.subject == "Your mentoring with Mona Mentor has ended"
        assert "stays readable in your workspace" in lena.body
        assert "your program team will include you in their next matching" in lena.body
        assert "continue with Mona Mentor, tell your program team: they can pair you " \
               "again" in lena.body
        assert "Your place is free for another mentee." in mona.body
        assert "Moved abroad" not in lena.body  # staff's reason stays in the history
        assert {r.status for r in told("pair_ending")} == {"cancelled"}
    assert links.destinations(short.lena_id)[-1] == f"/pairs/{pair_id}"
    assert links.destinations(short.staff_id) == []
    assert b"already ended" in end(short.staff, pair_id, "ended")
    with app.app_context():
        assert len(told("pair_ended")) == 2


def test_a_completed_pair_leads_to_the_end_survey(app, people, links):
    pair_id = publish(app)
    end(people.staff, pair_id, "completed", avoid_again=True)
    with app.app_context():
        lena = by_recipient("pair_ended")[people.lena_id]
        assert lena.subject == "Your mentoring with Mona Mentor is complete"
        assert "the end-of-program survey takes five minutes" in lena.body
        assert "pair you again" not in lena.body  # staff chose never to pair them again
        assert "Answer the survey: " + lena.link in lena.body
    assert links.destinations(people.mona_id)[-1] == f"/pairs/{pair_id}/checkin"


def test_a_rematch_is_told_as_a_new_match(app, people, links):
    pair_id = publish(app)
    end(people.staff, pair_id, "ended")
    assert b"paired with" in followed(people.staff, people.staff.post(
        f"/pairs/{pair_id}/rematch", page="/matching"))
    with app.app_context():
        new = db.session.scalars(sa.select(Pair).filter_by(status="active")).one()
        assert {r.dedupe_key.split(":")[1] for r in told("match_published")} == {
            str(pair_id), str(new.id)}
    assert links.destinations(people.lena_id)[-1] == f"/pairs/{new.id}"
