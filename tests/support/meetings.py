"""Meetings of a published pair (tests/support/pairs.py) as its members arrange them over
HTTP: the pair's meetings page, the common times it offers, a proposal, a meeting proposed
and accepted (`scheduled`), and one both members confirm as held (`meeting_held`)."""

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.meetings.models import Meeting
from tests.support.pairs import followed


def page_of(person, pair_id) -> bytes:
    """The pair's meetings page as `person` sees it."""
    response = person.get(f"/pairs/{pair_id}/meetings")
    assert response.status_code == 200
    return response.data


def candidate_values(html: bytes) -> list[str]:
    """The common times a meetings page offers to propose (ISO start times)."""
    return [v.decode() for v in re.findall(rb'name="slots" value="([^"]+)"', html)]


def propose(person, pair_id, **fields):
    """The meeting proposal form, 45 minutes by video unless `fields` say otherwise."""
    data = {"minutes": "45", "modality": "video", **fields}
    return person.post(f"/pairs/{pair_id}/meetings/propose", data,
                       page=f"/pairs/{pair_id}/meetings")


def scheduled(app, mona, lena, pair_id, **details) -> int:
    """Lena proposes the first common time (with `details` such as repeat="weekly"); Mona
    accepts it. Returns the meeting id."""
    slot = candidate_values(page_of(lena, pair_id))[0]
    followed(lena, propose(lena, pair_id, slots=[slot], **{
        "agenda": "Getting to know each other", **details}))
    with app.app_context():
        meeting = db.session.scalars(sa.select(Meeting)).one()
        meeting_id, option_id = meeting.id, meeting.options[0].id
    followed(mona, mona.post(f"/meetings/{meeting_id}/respond", {"option": option_id},
                             page=f"/pairs/{pair_id}/meetings"))
    return meeting_id


def meeting_held(app, pair, monkeypatch) -> tuple[datetime, datetime]:
    """A meeting of the pair that both members confirm as held, three hours after it began
    (the clock of meetings and health is moved there). Returns (its start, now)."""
    from lti_tool.meetings import services as meetings
    from lti_tool.relationships import services as health

    staff, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id)
    with app.app_context():
        start = db.session.get(Meeting, meeting_id).start_at.replace(tzinfo=UTC)
    later = start + timedelta(hours=3)
    monkeypatch.setattr(meetings, "utcnow", lambda: later)
    monkeypatch.setattr(health, "utcnow", lambda: later)
    for person in (lena, mona):
        followed(person, person.post(f"/meetings/{meeting_id}/attendance",
                                     {"occurrence": start.isoformat(), "outcome": "held"},
                                     page=f"/pairs/{pair_id}/meetings"))
    return start, later
