"""The getting-started checklist over HTTP: each member ticks the manual items
(both see each other's progress); the agreement, the first meeting and the first goal tick
themselves."""

from datetime import date, timedelta

from lti_tool.workspace import services
from lti_tool.workspace.models import ChecklistTick
from tests.support.meetings import scheduled
from tests.support.pairs import followed
from tests.support.workspace import accept, add_goal, page, propose, rows, with_pair


def tick(person, pair_id, item, done="1"):
    return followed(person, person.post(f"/pairs/{pair_id}/getting-started",
                                        {"item": item, "done": done},
                                        page=f"/pairs/{pair_id}/getting-started"))


def test_members_tick_the_manual_items_and_see_each_other(app, pair):
    _, mona, lena, pair_id = pair
    start = page(lena, f"/pairs/{pair_id}/getting-started")
    assert b"You: <strong>0 of 6</strong>" in start
    assert b"Light your face from the front" in start  # video etiquette
    assert b"Never share passwords" in start  # data security
    assert b"Only you and Mona Mentor can read this." in start

    tick(lena, pair_id, "tech")
    after = tick(lena, pair_id, "etiquette")
    assert b"You: <strong>2 of 6</strong>" in after
    assert b"Mona: <strong>0 of 6</strong>" in after
    assert b"Lena: <strong>2 of 6</strong>" in page(mona, f"/pairs/{pair_id}/getting-started")
    untick = tick(lena, pair_id, "etiquette", done="0")
    assert b"Unticked." in untick and b"You: <strong>1 of 6</strong>" in untick
    tick(lena, pair_id, "tech")  # ticking twice keeps one tick
    assert [row.item for row in rows(app, ChecklistTick)] == ["tech"]

    for key in ("agreement", "first_meeting", "nonsense"):
        refused = tick(lena, pair_id, key)
        assert b"ticks itself" in refused
    assert len(rows(app, ChecklistTick)) == 1
    with app.app_context():
        from lti_tool.extensions import db
        from lti_tool.pairs.models import Pair

        the_pair = db.session.get(Pair, pair_id)
        assert services.checklist_progress(the_pair, the_pair.mentee) == (1, 6)
        assert services.checklist_progress(the_pair, the_pair.mentor) == (0, 6)


def test_automatic_items_follow_the_pair(app, pair):
    _, mona, lena, pair_id = pair
    scheduled(app, mona, lena, pair_id)  # a meeting is booked
    followed(lena, propose(lena, pair_id))
    assert with_pair(app, pair_id, lambda p: services.checklist_progress(p, p.mentor)) == (1, 6)
    followed(mona, accept(mona, pair_id, 1))  # the agreement is signed
    soon = (date.today() + timedelta(days=30)).isoformat()
    followed(mona, add_goal(mona, pair_id, title="Prepare for interviews", target_date=soon))
    view = page(mona, f"/pairs/{pair_id}/getting-started")
    assert b"You: <strong>3 of 6</strong>" in view and b"Lena: <strong>3 of 6</strong>" in view
    assert view.count(b"Done: this one ticks itself") == 3
    hub = page(lena, f"/pairs/{pair_id}")
    assert b"You: 3 of 6 done" in hub and b"Mona: 3 of 6" in hub
