"""Meetings of a pair over HTTP: propose candidate times → the other member
picks one, booking the mentor's open time, moving and cancelling with a reason (iTIP REQUEST /
CANCEL in the outbox, reminders re-planned), series, attendance and disagreements, .ics files
and the private feed, program events, and who may touch what."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar

from lti_tool.extensions import db
from lti_tool.meetings import services
from lti_tool.meetings.models import Attendance, Meeting, ProgramEvent
from lti_tool.notify.models import Notification
from tests.support.clients import Participant
from tests.support.meetings import candidate_values, page_of, propose, scheduled
from tests.support.pairs import followed, intake


def notifications(app, **filters) -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Notification).filter_by(**filters)
                                       .order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def test_common_times_are_shown_in_each_viewers_zone(pair):
    _, mona, lena, pair_id = pair
    lena_page, mona_page = page_of(lena, pair_id), page_of(mona, pair_id)
    slots = candidate_values(lena_page)
    assert slots and slots == candidate_values(mona_page)
    first = datetime.fromisoformat(slots[0])
    assert first.astimezone(UTC).hour in (17, 18)  # 12-14 h New York, 18-20 h Berlin
    # Lena reads New York time first with Berlin beside it; Mona the other way round.
    assert re.search(rb"1[2-3]:[03]0 \(your time\) \xc2\xb7 1[8-9]:[03]0 in Berlin", lena_page)
    assert re.search(rb"1[8-9]:[03]0 \(your time\) \xc2\xb7 1[2-3]:[03]0 in New York", mona_page)
    assert b"both free" in lena_page


def test_propose_then_accept_schedules_with_a_video_link_and_invitations(app, pair):
    _, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.status == "scheduled" and meeting.sequence == 0
        assert meeting.url.startswith("https://meet.jit.si/") and meeting.provider == "jitsi"
        assert meeting.timezone == "America/New_York"  # Lena organised it
    proposed = notifications(app, kind="meeting_proposed")
    assert len(proposed) == 1 and "Choose one of these times" in proposed[0].body
    accepted = notifications(app, kind="meeting_accepted")
    assert len(accepted) == 2  # Lena is told; Mona gets her own copy of the invitation
    calendar = Calendar.from_ical(accepted[0].calendar)
    assert calendar["method"] == "REQUEST" and accepted[0].calendar_method == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert str(event["uid"]) == meeting.uid and int(event["sequence"]) == 0
    reminders = notifications(app, kind="meeting_reminder")
    assert {r.dedupe_key.rsplit(":", 1)[1] for r in reminders} <= {"24h", "1h"}
    assert len({r.recipient_id for r in reminders}) == 2
    home = lena.get("/").data
    assert b"Meetings" in home
    assert b"Join the call" in page_of(lena, pair_id)


def test_the_proposer_cannot_answer_and_outsiders_cannot_touch(app, platform, pair):
    _, mona, lena, pair_id = pair
    slot = candidate_values(page_of(lena, pair_id))[0]
    followed(lena, propose(lena, pair_id, slots=[slot]))
    with app.app_context():
        meeting = db.session.scalars(sa.select(Meeting)).one()
        meeting_id, option_id = meeting.id, meeting.options[0].id
    own = followed(lena, lena.post(f"/meetings/{meeting_id}/respond", {"option": option_id},
                                   page=f"/pairs/{pair_id}/meetings"))
    assert b"The other member answers your proposal" in own
    luis = Participant(app, platform, "11", "Learner", "Luis Learner")
    intake(luis, topics=["Leadership"])
    assert luis.get(f"/pairs/{pair_id}/meetings").status_code == 403
    assert luis.post(f"/meetings/{meeting_id}/respond", {"option": option_id},
                     page="/intake").status_code == 403
    assert luis.get(f"/meetings/{meeting_id}/meeting.ics").status_code == 403
    elsewhere = Participant(app, platform, "10", "Learner", "Lena Learner",
                            context={"id": "other-course", "title": "Elsewhere"})
    assert elsewhere.get(f"/pairs/{pair_id}/meetings").status_code == 404
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).status == "proposed"


def test_bad_times_and_links_are_refused_and_the_draft_survives(app, pair):
    _, mona, lena, pair_id = pair
    yesterday = date.today() - timedelta(days=1)
    past = propose(lena, pair_id, day=yesterday.isoformat(), time="12:00",
                   agenda="Keep this text")
    assert past.status_code == 400 and b"has already passed" in past.data
    assert b"Keep this text" in past.data  # what was typed is still there
    gap = propose(lena, pair_id, day="2027-03-14", time="02:30")
    assert gap.status_code == 400 and b"does not exist in America/New_York" in gap.data
    slot = candidate_values(page_of(lena, pair_id))[0]
    http = propose(lena, pair_id, slots=[slot], link="http://zoom.us/j/1")
    assert http.status_code == 400 and b"https" in http.data
    nothing = propose(lena, pair_id)
    assert nothing.status_code == 400 and b"Choose at least one time" in nothing.data
    four = propose(lena, pair_id, slots=candidate_values(page_of(lena, pair_id))[:4])
    assert four.status_code == 400 and b"Offer from 1 to 3 times" in four.data
    with app.app_context():
        assert db.session.scalars(sa.select(Meeting)).all() == []
        assert db.session.scalars(sa.select(Notification).where(
            Notification.kind.startswith("meeting"))).all() == []


def test_a_time_that_clashes_with_a_meeting_is_refused(app, pair):
    _, mona, lena, pair_id = pair
    scheduled(app, mona, lena, pair_id)
    with app.app_context():
        taken = db.session.scalars(sa.select(Meeting)).one().start_at.replace(tzinfo=UTC)
    local = taken.astimezone(ZoneInfo("America/New_York"))
    clash = propose(lena, pair_id, day=local.date().isoformat(),
                    time=(local + timedelta(minutes=15)).strftime("%H:%M"))
    assert clash.status_code == 400 and b"overlaps the meeting with Mona Mentor" in clash.data
    offered = [datetime.fromisoformat(v) for v in candidate_values(page_of(lena, pair_id))]
    assert offered and all(not taken - timedelta(minutes=45) < start < taken
                           + timedelta(minutes=45) for start in offered)


def test_moving_and_cancelling_tell_the_other_and_update_their_calendar(app, pair):
    _, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id)
    later = date.today() + timedelta(days=20)
    moved = followed(mona, mona.post(f"/meetings/{meeting_id}/reschedule",
                                     {"day": later.isoformat(), "time": "19:00",
                                      "reason": "a conference"},
                                     page=f"/pairs/{pair_id}/meetings"))
    assert b"Moved. The other person has been told." in moved
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.sequence == 1 and meeting.note == "a conference"
        berlin = meeting.start_at.astimezone(ZoneInfo("Europe/Berlin"))
        assert (berlin.date(), berlin.hour) == (later, 19)
    told = notifications(app, kind="meeting_moved")
    invitation = Calendar.from_ical(told[0].calendar).walk("VEVENT")[0]
    assert int(invitation["sequence"]) == 1 and "a conference" in told[0].body
    old_reminders = [r for r in notifications(app, kind="meeting_reminder")
                     if ":reminder:0:" in r.dedupe_key]
    assert old_reminders and {r.status for r in old_reminders} == {"cancelled"}

    no_reason = followed(lena, lena.post(f"/meetings/{meeting_id}/cancel", {"reason": ""},
                                         page=f"/pairs/{pair_id}/meetings"))
    assert b"Why" in no_reason
    cancelled = followed(lena, lena.post(f"/meetings/{meeting_id}/cancel",
                                         {"reason": "I got ill"},
                                         page=f"/pairs/{pair_id}/meetings"))
    assert b"Cancelled." in cancelled
    message = notifications(app, kind="meeting_cancelled")[0]
    assert message.calendar_method == "CANCEL" and "I got ill" in message.body
    event = Calendar.from_ical(message.calendar).walk("VEVENT")[0]
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 2
    assert {r.status for r in notifications(app, kind="meeting_reminder")} == {"cancelled"}


def test_a_weekly_series_with_one_meeting_cancelled(app, pair):
    _, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id, repeat="weekly", repeat_count="4")
    with app.app_context():
        occurrences = services.occurrences(db.session.get(Meeting, meeting_id))
    assert len(occurrences) == 4
    second = occurrences[1].original_start
    followed(mona, mona.post(f"/meetings/{meeting_id}/cancel",
                             {"reason": "holiday", "occurrence": second.isoformat()},
                             page=f"/pairs/{pair_id}/meetings"))
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.status == "scheduled" and len(services.occurrences(meeting)) == 3
    ics = lena.get(f"/meetings/{meeting_id}/meeting.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    vevent = Calendar.from_ical(ics.data).walk("VEVENT")[0]
    assert vevent["rrule"]["FREQ"] == ["WEEKLY"] and vevent["rrule"]["COUNT"] == [4]
    assert vevent["exdate"].dts[0].dt.astimezone(UTC) == second
    one = notifications(app, kind="meeting_cancelled")[0]
    assert "RECURRENCE-ID" in one.calendar and one.calendar_method == "CANCEL"


def test_coming_up_shows_the_next_five_and_the_rest_on_asking(app, pair):
    """A weekly series of eight: the page lists the next five, each with its forms, and
    links to the other three; the link's page lists all eight."""
    _, mona, lena, pair_id = pair
    scheduled(app, mona, lena, pair_id, repeat="weekly", repeat_count="8")

    def coming(page: str) -> int:
        return page.split('id="upcoming-h"')[1].split("</section>")[0].count('class="meeting"')

    page = page_of(lena, pair_id).decode()
    assert coming(page) == 5 and "Show 3 more coming meetings" in page
    everything = lena.get(f"/pairs/{pair_id}/meetings?coming=all")
    assert everything.status_code == 200
    assert coming(everything.get_data(as_text=True)) == 8
    assert "more coming meeting" not in everything.get_data(as_text=True)


def test_attendance_after_the_meeting_and_disagreement_for_staff(app, pair, monkeypatch):
    _, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id)
    with app.app_context():
        start = db.session.get(Meeting, meeting_id).start_at.replace(tzinfo=UTC)
    early = followed(lena, lena.post(f"/meetings/{meeting_id}/attendance",
                                     {"occurrence": start.isoformat(), "outcome": "held"},
                                     page=f"/pairs/{pair_id}/meetings"))
    assert b"once the meeting is over" in early
    after = start + timedelta(hours=2)
    monkeypatch.setattr(services, "utcnow", lambda: after)
    page = page_of(lena, pair_id)
    assert b"Did it happen?" in page
    for person, outcome in ((lena, "held"), (mona, "missed")):
        followed(person, person.post(f"/meetings/{meeting_id}/attendance",
                                     {"occurrence": start.isoformat(), "outcome": outcome},
                                     page=f"/pairs/{pair_id}/meetings"))
    with app.app_context():
        from lti_tool.courses.models import Program
        program = db.session.scalars(sa.select(Program)).one()
        [(meeting, when, answers)] = services.disagreements(program)
        assert meeting.id == meeting_id and when == start
        assert sorted(answers.values()) == ["held", "missed"]
        # Another occurrence both describe alike is not a disagreement.
        db.session.add_all(Attendance(meeting_id=meeting_id, person_id=person_id,
                                      occurrence_start=start + timedelta(days=7),
                                      outcome="held") for person_id in answers)
        db.session.commit()
        assert [(m.id, w) for m, w, _ in services.disagreements(program)] == \
            [(meeting_id, start)]
    assert b"staff can see that you disagree" in page_of(lena, pair_id)
    staff_home = pair[0].get("/").data
    assert b"Meetings the pair describe differently" in staff_home
    assert "Lena Learner says “It happened”".encode() in staff_home


def test_mentee_books_the_mentors_open_time(app, pair):
    _, mona, lena, pair_id = pair
    page = page_of(lena, pair_id)
    start = re.search(rb'<select id="book-start" name="start"><option value="([^"]+)"',
                      page).group(1).decode()
    booked = followed(lena, lena.post(f"/pairs/{pair_id}/meetings/book",
                                      {"start": start, "minutes": "30", "modality": "phone"},
                                      page=f"/pairs/{pair_id}/meetings"))
    assert b"Booked." in booked
    with app.app_context():
        meeting = db.session.scalars(sa.select(Meeting)).one()
        assert meeting.status == "scheduled" and meeting.modality == "phone"
        assert meeting.url is None
    assert b'id="book-start"' not in page_of(mona, pair_id)  # mentors do not book themselves
    again = followed(lena, lena.post(f"/pairs/{pair_id}/meetings/book",
                                     {"start": start, "minutes": "30", "modality": "video"},
                                     page=f"/pairs/{pair_id}/meetings"))
    assert b"open times any more" in again


def test_private_feed_needs_no_session_and_can_be_reset(app, pair):
    _, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id)
    page = page_of(lena, pair_id)
    url = re.search(rb'<code class="copy">([^<]+/calendar/[^<]+\.ics)</code>', page).group(1)
    path = url.decode().split("localhost", 1)[-1]
    assert "pw=" not in path
    anonymous = app.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    with app.app_context():
        uid = db.session.get(Meeting, meeting_id).uid
    assert uid.encode() in feed.data
    followed(lena, lena.post("/calendar/reset", {"pair_id": pair_id},
                             page=f"/pairs/{pair_id}/meetings"))
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/calendar/not-a-token.ics").status_code == 404


def test_program_events_with_rsvps(app, pair):
    staff, mona, lena, pair_id = pair
    day = date.today() + timedelta(days=10)
    posted = followed(staff, staff.post("/events", {
        "title": "Spring meetup <script>alert(1)</script>", "description": "Coffee",
        "day": day.isoformat(), "time": "17:00", "minutes": "90", "modality": "in_person",
        "location": "Library café"}, page="/events"))
    assert b"The event is posted" in posted
    assert b"<script>alert(1)</script>" not in posted and b"&lt;script&gt;" in posted
    with app.app_context():
        event_id = db.session.scalars(sa.select(ProgramEvent)).one().id
    assert len(notifications(app, kind="program_event")) == 2  # Mona and Lena
    followed(lena, lena.post(f"/events/{event_id}/rsvp", {"answer": "yes"}, page="/events"))
    assert b"1 coming" in lena.get("/events").data
    refused = lena.post("/events", {"title": "Mine", "day": day.isoformat(), "time": "10:00",
                                    "minutes": "60", "modality": "video"}, page="/events")
    assert refused.status_code == 403
    no_place = staff.post("/events", {"title": "Meetup", "day": day.isoformat(),
                                      "time": "10:00", "minutes": "60",
                                      "modality": "in_person"}, page="/events")
    assert no_place.status_code == 400 and b"Say where you will meet" in no_place.data
    feed_path = re.search(rb"/calendar/[^<\"]+\.ics", page_of(lena, pair_id)).group(0).decode()
    assert b"Spring meetup" in app.test_client().get(feed_path).data
    followed(staff, staff.post(f"/events/{event_id}/cancel", page="/events"))
    assert len(notifications(app, kind="program_event_cancelled")) == 1


def test_series_expansion_keeps_the_organisers_wall_time_across_dst():
    from lti_tool.meetings.recurrence import Recurrence, expand

    new_york = ZoneInfo("America/New_York")
    first = datetime.combine(date(2027, 3, 1), time(12, 0), new_york).astimezone(UTC)
    series = expand(first, timedelta(minutes=45), "America/New_York",
                    Recurrence("weekly", count=4))
    local = [o.start.astimezone(ZoneInfo("America/New_York")).hour
             for o in series]
    assert local == [12, 12, 12, 12]  # 14 March: the US switches, the meeting stays at noon
    assert [o.start.hour for o in series] == [17, 17, 16, 16]
