"""The intake's availability and time zone over HTTP: a 24-hour week (00:00-24:00 on every
day), old 06-22 rows still load, aliases become current zone names, and the zone list is
rendered once per locale and hour rather than for every request."""

import re

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.intake import forms, views, zones
from lti_tool.intake.models import Profile
from tests.support.clients import Participant
from tests.support.introductions import describe, send_intake


def _lena(app, platform) -> Participant:
    return Participant(app, platform, "10", "Learner", "Lena Learner")


def _saved(app) -> Profile:
    with app.app_context():
        row = db.session.scalars(sa.select(Profile)).one()
        db.session.expunge(row)
        return row


def _zone_select(page: str) -> str:
    return re.search(r'<select [^>]*name="timezone".*?</select>', page, re.S).group()


def test_the_grid_offers_every_hour_of_every_day(app, platform):
    page = _lena(app, platform).get("/intake").data.decode()
    values = re.findall(r'name="availability" value="(\d-\d\d)"', page)
    assert len(values) == 7 * 24
    assert {"0-00", "0-23", "6-00", "6-23", "3-07"} <= set(values)
    assert 'aria-label="Sunday 23:00 to 24:00"' in page


def test_the_form_accepts_midnight_to_midnight_on_all_days(app, platform):
    lena = _lena(app, platform)
    ticks = [f"{day}-{hour:02d}" for day in range(7) for hour in (0, 7, 23)]
    assert send_intake(lena, topics=["Leadership"], availability=ticks).status_code == 303
    slots = {tuple(slot) for slot in _saved(app).availability}
    assert slots == {(day, minute) for day in range(7) for hour in (0, 7, 23)
                     for minute in (hour * 60, hour * 60 + 30)}
    page = lena.get("/intake").data.decode()
    assert re.search(r'value="6-23" id="slot-6-23"[^>]*checked', page)
    assert not re.search(r'value="6-22" id="slot-6-22"[^>]*checked', page)


def test_hours_outside_the_day_are_refused(app, platform):
    lena = _lena(app, platform)
    for bad in ("0-24", "7-05", "0--1"):
        response = send_intake(lena, topics=["Leadership"], availability=[bad])
        assert response.status_code == 400, bad
        assert b"The availability grid sent an unknown time." in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Profile)) == 0


def test_old_six_to_ten_pm_rows_still_load(app, platform):
    lena = _lena(app, platform)
    assert send_intake(lena, topics=["Leadership"]).status_code == 303
    old = [[day, minute] for day in range(5) for minute in range(6 * 60, 23 * 60, 30)]
    describe(app, "10", availability=old)
    page = lena.get("/intake").data.decode()
    checked = set(re.findall(r'value="(\d-\d\d)" id="slot-[^"]+"[^>]*checked', page))
    assert checked == {f"{day}-{hour:02d}" for day in range(5) for hour in range(6, 23)}
    # Saved again unchanged, the week is the same.
    assert send_intake(lena, topics=["Leadership"], availability=sorted(checked)
                       ).status_code == 303
    assert sorted(_saved(app).availability) == sorted(old)


def test_the_zone_list_is_grouped_and_has_current_names_only(app, platform):
    page = _lena(app, platform).get("/intake").data.decode()
    select = _zone_select(page)
    values = re.findall(r'<option value="([^"]+)"', select)
    groups = re.findall(r'<optgroup label="([^"]+)"', select)
    assert groups[:3] == ["Coordinated Universal Time", "Africa", "Americas"]
    assert "Asia" in groups and "Europe" in groups and "Pacific" in groups
    assert select.count("<option") == select.count('<option value="') == len(values)
    assert {"UTC", "Asia/Tokyo", "Africa/Asmara", "Asia/Kolkata", "Europe/Kyiv"} <= set(values)
    assert not {"Africa/Asmera", "Asia/Calcutta", "Europe/Kiev", "Japan"} & set(values)
    assert not [v for v in values if v.startswith(("US/", "Etc/"))]
    assert re.search(r'<option value="Asia/Tokyo">Tokyo \(UTC\+09:00\)</option>', select)


def test_an_alias_is_shown_and_saved_under_its_current_name(app, platform):
    lena = _lena(app, platform)
    assert send_intake(lena, topics=["Leadership"], tz="Asia/Calcutta").status_code == 303
    assert _saved(app).timezone == "Asia/Kolkata"
    describe(app, "10", timezone="US/Eastern")  # saved before the list was cleaned up
    page = lena.get("/intake").data.decode()
    assert '<option value="America/New_York" selected>' in page
    assert "US/Eastern" not in page
    assert send_intake(lena, topics=["Leadership"], tz="Nowhere/Atlantis").status_code == 400


def test_a_fixed_offset_saved_earlier_stays_selectable(app, platform):
    lena = _lena(app, platform)
    assert send_intake(lena, topics=["Leadership"]).status_code == 303
    describe(app, "10", timezone="Etc/GMT-3")
    page = lena.get("/intake").data.decode()
    assert '<option value="Etc/GMT-3" selected>Etc/GMT-3</option>' in page
    assert send_intake(lena, topics=["Leadership"], tz="Etc/GMT-3").status_code == 303


def test_the_local_time_is_shown_by_the_grid(app, platform):
    lena = _lena(app, platform)
    assert send_intake(lena, topics=["Leadership"], tz="Asia/Kathmandu").status_code == 303
    page = lena.get("/intake").data.decode()
    assert re.search(r'id="zone-now"[^>]*>Your local time now: \w+day \d\d:\d\d '
                     r'\(UTC\+05:45\)</p>', page)


def test_the_zone_options_and_the_grid_are_rendered_once_per_locale(app, platform,
                                                                     monkeypatch):
    hour = zones.current_hour()
    monkeypatch.setattr(zones, "current_hour", lambda: hour)  # not across an hour's end
    lena = _lena(app, platform)
    forms._zone_options.cache_clear()
    forms._grid_pieces.cache_clear()
    views.BLANK_FIELDS.clear()
    first = lena.get("/intake").data.decode()
    assert send_intake(lena, topics=["Leadership"], availability=["2-05"]).status_code == 303
    second = lena.get("/intake").data.decode()
    for cached in (forms._zone_options, forms._grid_pieces):
        info = cached.cache_info()
        assert (info.misses, info.hits) == (1, 1), cached  # the blank page, then the saved one
    assert _zone_select(first) != _zone_select(second)  # Berlin is chosen now
    assert re.search(r'id="slot-2-05"[^>]*checked', second)
    assert not re.search(r'id="slot-2-05"[^>]*checked', first)
