"""The workspace hub over HTTP: who you are paired with and their local time,
the next meeting, links to every page of the pair (other features' only when installed), and
who may open it: the pair's two members only (staff 403, another program 404)."""

from tests.support.clients import Participant
from tests.support.meetings import scheduled
from tests.support.pairs import intake
from tests.support.workspace import page


def test_the_hub_introduces_the_pair_and_links_everything(app, pair):
    _, mona, lena, pair_id = pair
    home = page(lena, "/")
    assert f"/pairs/{pair_id}?pw=".encode() in home and b"Open your workspace" in home
    assert f"/pairs/{pair_id}/meetings?pw=".encode() in home  # the Meetings link stays

    hub = page(lena, f"/pairs/{pair_id}")
    assert b"Your mentor: Mona Mentor" in hub
    assert b"in Berlin" in hub and b"Europe/Berlin" in hub  # Mona's local time
    assert b"No meeting booked yet" in hub
    assert b"Only you and Mona Mentor can read this." in hub
    for label in (b"Getting started", b"Agreement", b"Meetings", b"Goals"):
        assert f">{label.decode()}</a>".encode() in hub
    installed = {endpoint: endpoint in app.view_functions for endpoint in
                 ("guides.pair_guides", "journal.pair_journal", "journal.messages")}
    assert (b"/guides?pw=" in hub) == installed["guides.pair_guides"]
    assert (b"Recaps and action items</a>" in hub) == installed["journal.pair_journal"]
    assert (b"Messages</a>" in hub) == installed["journal.messages"]
    assert f"/pairs/{pair_id}/agreement?pw=".encode() in hub  # links keep the session

    mentor_view = page(mona, f"/pairs/{pair_id}")
    assert b"Your mentee: Lena Learner" in mentor_view and b"in New York" in mentor_view
    assert b"Not started yet" in mentor_view and b"0 active, 0 achieved" in mentor_view


def test_the_next_meeting_is_shown_in_both_zones(app, pair):
    _, mona, lena, pair_id = pair
    scheduled(app, mona, lena, pair_id)
    hub = page(lena, f"/pairs/{pair_id}")
    assert b"Next meeting" in hub and b"(your time)" in hub and b"in Berlin" in hub
    assert b"Join the call" in hub and b"No meeting booked yet" not in hub


def test_only_the_pair_opens_it(app, platform, pair):
    staff, _, _, pair_id = pair
    assert staff.get(f"/pairs/{pair_id}").status_code == 403  # private, even to staff
    luis = Participant(app, platform, "11", "Learner", "Luis Learner")
    intake(luis, topics=["Leadership"])
    assert luis.get(f"/pairs/{pair_id}").status_code == 403
    elsewhere = Participant(app, platform, "10", "Learner", "Lena Learner",
                            context={"id": "other-course", "title": "Elsewhere"})
    assert elsewhere.get(f"/pairs/{pair_id}").status_code == 404
    assert elsewhere.get(f"/pairs/{pair_id}/goals").status_code == 404
    assert luis.get("/pairs/9999").status_code == 404
