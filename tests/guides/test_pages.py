"""Guide pages over HTTP: a pair sees the program's guides in suggested order,
chooses one as the agenda (for a scheduled meeting, too) and marks it covered; staff edit with
a preview, reorder, add, delete and restore, and see counts only; and who may do what."""

import re

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.guides.models import Guide, GuideUse
from lti_tool.pairs.models import Pair
from tests.support.clients import Participant
from tests.support.meetings import scheduled
from tests.support.pairs import followed, intake


def guides_page(person, pair_id) -> bytes:
    response = person.get(f"/pairs/{pair_id}/guides")
    assert response.status_code == 200
    return response.data


def guide_ids(app, pair_id) -> dict[str, int]:
    """Built-in key (or slug) -> id of the pair's program's guides."""
    with app.app_context():
        program_id = db.session.get(Pair, pair_id).program_id
        return {g.builtin_key or g.slug: g.id
                for g in db.session.scalars(sa.select(Guide).filter_by(program_id=program_id))}


def uses(app) -> list[GuideUse]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(GuideUse).order_by(GuideUse.id)))
        db.session.expunge_all()
        return rows


def choose(person, pair_id, guide_id, meeting=""):
    return person.post(f"/pairs/{pair_id}/guides/{guide_id}/choose", {"meeting": meeting},
                       page=f"/pairs/{pair_id}/guides")


def titles_in_order(html: bytes) -> list[str]:
    return [t.decode() for t in re.findall(rb'<a href="/guides/\d+\?pw=[^"]+">([^<]+)</a></td>',
                                           html)]


def test_a_pair_chooses_a_guide_and_marks_it_covered(app, pair):
    _, mona, lena, pair_id = pair
    page = guides_page(lena, pair_id)
    titles = titles_in_order(page)
    assert len(titles) >= 8
    assert titles[0] == "First meeting and rapport" and titles[-1] == "Closing and next steps"
    assert b"Week 1 <strong>(now)</strong>" in page and b"Week 12" in page
    ids = guide_ids(app, pair_id)

    agenda = followed(lena, choose(lena, pair_id, ids["goal-setting"]))
    assert "“Goal setting” is on your agenda.".encode() in agenda
    assert b"On the agenda" in agenda
    on_monas = guides_page(mona, pair_id)
    assert b"chosen by Lena Learner" in on_monas
    [use] = uses(app)
    assert use.meeting_id is None and use.covered_at is None
    again = followed(mona, choose(mona, pair_id, ids["goal-setting"]))  # no duplicate
    assert b"is on your agenda" in again and len(uses(app)) == 1

    covered = followed(mona, mona.post(f"/guide-uses/{use.id}/covered",
                                       page=f"/pairs/{pair_id}/guides"))
    assert "Marked “Goal setting” as covered.".encode() in covered
    assert b"Covered 20" in covered and b"Nothing on your agenda yet" in covered
    [use] = uses(app)
    assert use.covered_at is not None
    followed(lena, lena.post(f"/guide-uses/{use.id}/covered", page=f"/pairs/{pair_id}/guides"))
    assert uses(app)[0].covered_at == use.covered_at  # the first time is kept

    # Covered guides stay; choosing one again opens a new round; an open one can be dropped.
    followed(lena, choose(lena, pair_id, ids["goal-setting"]))
    assert len(uses(app)) == 2
    dropped = followed(lena, lena.post(f"/guide-uses/{uses(app)[1].id}/drop",
                                       page=f"/pairs/{pair_id}/guides"))
    assert "“Goal setting” is off your agenda.".encode() in dropped
    assert len(uses(app)) == 1
    refused = followed(lena, lena.post(f"/guide-uses/{use.id}/drop",
                                       page=f"/pairs/{pair_id}/guides"))
    assert b"A covered guide stays in your history." in refused


def test_a_guide_as_the_agenda_of_a_scheduled_meeting(app, pair):
    _, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id)
    page = guides_page(lena, pair_id)
    assert f'<option value="{meeting_id}" >'.encode() in page
    ids = guide_ids(app, pair_id)
    agenda = followed(lena, choose(lena, pair_id, ids["first-meeting"], meeting_id))
    assert b"for the meeting of" in agenda and b"(your time)" in agenda
    assert uses(app)[0].meeting_id == meeting_id
    # Moving it to no particular meeting keeps one use.
    followed(lena, choose(lena, pair_id, ids["first-meeting"]))
    assert [u.meeting_id for u in uses(app)] == [None]
    bad = followed(lena, choose(lena, pair_id, ids["first-meeting"], 999999))
    assert b"Choose one of your own scheduled meetings." in bad
    assert [u.meeting_id for u in uses(app)] == [None]


def test_reading_a_guide(app, platform, pair):
    staff, mona, lena, pair_id = pair
    guides_page(lena, pair_id)
    guide_id = guide_ids(app, pair_id)["feedback"]
    for person in (lena, mona, staff):
        page = person.get(f"/guides/{guide_id}")
        assert page.status_code == 200
        assert b"<h1>Giving and receiving feedback</h1>" in page.data
        assert b"<h2>Purpose</h2>" in page.data and b"<h2>Exercise</h2>" in page.data
        assert b'rel="noopener noreferrer"' in page.data
    assert b"Guides with Mona Mentor" in lena.get(f"/guides/{guide_id}").data
    assert b"Edit this guide" in staff.get(f"/guides/{guide_id}").data
    luis = Participant(app, platform, "11", "Learner", "Luis Learner")
    intake(luis, topics=["Leadership"])
    assert luis.get(f"/guides/{guide_id}").status_code == 403  # in no active pair
    elsewhere = Participant(app, platform, "10", "Learner", "Lena Learner",
                            context={"id": "other-course", "title": "Elsewhere"})
    assert elsewhere.get(f"/guides/{guide_id}").status_code == 404
    assert lena.get("/guides/999999").status_code == 404


def test_outsiders_cannot_see_or_choose_for_a_pair(app, platform, pair):
    _, mona, lena, pair_id = pair
    guides_page(lena, pair_id)
    ids = guide_ids(app, pair_id)
    followed(lena, choose(lena, pair_id, ids["career-paths"]))
    use_id = uses(app)[0].id
    luis = Participant(app, platform, "11", "Learner", "Luis Learner")
    intake(luis, topics=["Leadership"])
    assert luis.get(f"/pairs/{pair_id}/guides").status_code == 403
    assert luis.post(f"/pairs/{pair_id}/guides/{ids['feedback']}/choose",
                     page="/intake").status_code == 403
    assert luis.post(f"/guide-uses/{use_id}/covered", page="/intake").status_code == 403
    assert luis.post(f"/guide-uses/{use_id}/drop", page="/intake").status_code == 403
    elsewhere = Participant(app, platform, "10", "Learner", "Lena Learner",
                            context={"id": "other-course", "title": "Elsewhere"})
    assert elsewhere.get(f"/pairs/{pair_id}/guides").status_code == 404
    assert elsewhere.post(f"/guide-uses/{use_id}/covered", page="/intake").status_code == 404
    assert len(uses(app)) == 1 and uses(app)[0].covered_at is None


def test_another_programs_guide_is_not_found(app, platform, pair):
    _, _, lena, pair_id = pair
    other_staff = Participant(app, platform, "98", "Instructor", "Olga Other",
                              context={"id": "other-course", "title": "Elsewhere"})
    assert other_staff.get("/guides/manage").status_code == 200  # their own library
    with app.app_context():
        program_id = db.session.get(Pair, pair_id).program_id
        theirs = db.session.scalars(sa.select(Guide).where(Guide.program_id != program_id)
                                    .order_by(Guide.position)).first().id
    assert lena.get(f"/guides/{theirs}").status_code == 404
    response = choose(lena, pair_id, theirs)
    assert response.status_code == 404
    ours = guide_ids(app, pair_id)["closing"]
    assert other_staff.get(f"/guides/{ours}/edit").status_code == 404
    assert other_staff.post(f"/guides/{ours}/edit", {"title": "Hijacked", "body": "x"},
                            page="/guides/manage").status_code == 404
    assert other_staff.post(f"/guides/{ours}/delete", page="/guides/manage").status_code == 404
    assert other_staff.post(f"/guides/{ours}/move", {"direction": "up"},
                            page="/guides/manage").status_code == 404
    with app.app_context():
        assert db.session.get(Guide, ours).title == "Closing and next steps"
    assert uses(app) == []


def test_an_ended_pair_is_refused_clearly(app, pair):
    staff, mona, lena, pair_id = pair
    guides_page(lena, pair_id)
    ids = guide_ids(app, pair_id)
    followed(lena, choose(lena, pair_id, ids["goal-setting"]))
    use_id = uses(app)[0].id
    staff.post(f"/pairs/{pair_id}/end", {"confirmed": "yes", "status": "ended",
                                         "reason": "moved abroad"}, page="/matching")
    with app.app_context():
        assert db.session.get(Pair, pair_id).status == "ended"
    page = guides_page(lena, pair_id)
    assert b"This pair has ended" in page and b"Mark covered" not in page
    assert b">Choose</button>" not in page
    for path in (f"/pairs/{pair_id}/guides/{ids['feedback']}/choose",
                 f"/guide-uses/{use_id}/covered", f"/guide-uses/{use_id}/drop"):
        answer = followed(lena, lena.post(path, page="/intake"))
        assert b"This pair has ended: its guides are kept, but can no longer change." in answer
    [use] = uses(app)
    assert use.covered_at is None
    assert lena.get(f"/guides/{ids['feedback']}").status_code == 403  # no active pair now


STAFF_PAGES = ("/guides/manage", "/guides/new", "/guides/{id}/edit", "/guides/{id}/delete")


def test_participants_cannot_reach_staff_pages(app, pair):
    _, mona, lena, pair_id = pair
    guides_page(lena, pair_id)
    guide_id = guide_ids(app, pair_id)["feedback"]
    for person in (mona, lena):
        for path in STAFF_PAGES:
            assert person.get(path.format(id=guide_id)).status_code == 403, path
        page = f"/pairs/{pair_id}/guides"
        for path, data in (("/guides/new", {"title": "Mine", "body": "text"}),
                           (f"/guides/{guide_id}/edit", {"title": "Mine", "body": "text"}),
                           (f"/guides/{guide_id}/move", {"direction": "up"}),
                           (f"/guides/{guide_id}/delete", {}),
                           ("/guides/manage/restore", {})):
            assert person.post(path, data, page=page).status_code == 403, path
    with app.app_context():
        assert db.session.get(Guide, guide_id).title == "Giving and receiving feedback"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Guide)
                                 .filter_by(title="Mine")) == 0


def test_staff_edit_with_a_preview_and_the_draft_survives_bad_input(app, pair):
    staff, _, lena, pair_id = pair
    manage = staff.get("/guides/manage")
    assert manage.status_code == 200 and b"Giving and receiving feedback" in manage.data
    guide_id = guide_ids(app, pair_id)["feedback"]
    path = f"/guides/{guide_id}/edit"
    edit = staff.get(path)
    assert edit.status_code == 200
    assert b"## Purpose" in edit.data and b"<h2>Purpose</h2>" in edit.data  # text and preview

    typed = ("## Our way\n\n- ask **early**\n- [SBI](https://example.org/sbi)\n\n"
             "<script>alert('x')</script>\n\n[trap](javascript:alert(1))\n\n"
             '<img src=x onerror="alert(2)">')
    preview = staff.post(path, {"title": "Feedback, our way", "week": "5", "body": typed,
                                "action": "preview"}, page=path)
    assert preview.status_code == 200 and b"Preview of your changes" in preview.data
    assert b"<h2>Our way</h2>" in preview.data and b"<strong>early</strong>" in preview.data
    assert b"<script>alert" not in preview.data and b"<img src=x" not in preview.data
    assert b'href="javascript' not in preview.data
    with app.app_context():
        assert db.session.get(Guide, guide_id).title == "Giving and receiving feedback"

    for data, message in (({"title": "", "body": typed}, b"This field is required."),
                          ({"title": "Feedback", "body": ""}, b"This field is required."),
                          ({"title": "Feedback", "body": typed + "x" * 20_000},
                           b"20000 characters"),
                          ({"title": "Feedback", "body": typed, "week": "0"},
                           b"From 1 to 104.")):
        refused = staff.post(path, {**data, "action": "save"}, page=path)
        assert refused.status_code == 400, data
        assert message in refused.data
        if data["body"]:
            assert b"## Our way\n\n- ask **early**" in refused.data  # the draft comes back
    with app.app_context():
        assert db.session.get(Guide, guide_id).title == "Giving and receiving feedback"

    saved = staff.post(path, {"title": "Feedback, our way", "week": "5", "body": typed,
                              "action": "save"}, page=path)
    assert "Saved “Feedback, our way”.".encode() in followed(staff, saved)
    with app.app_context():
        guide = db.session.get(Guide, guide_id)
        assert guide.week == 5 and guide.updated_by.name == "Iris Instructor"
        assert "<script>" in guide.body_markdown  # kept as typed, made safe when shown
    read = lena.get(f"/guides/{guide_id}").data
    assert b"<h1>Feedback, our way</h1>" in read and b"<h2>Our way</h2>" in read
    assert b"<script>alert" not in read and b"&lt;script&gt;" in read
    assert b'<a href="https://example.org/sbi" target="_blank" rel="noopener noreferrer">' in read
    assert re.search(rb"<[^>]+\son\w+=", read) is None and b'href="javascript' not in read
    assert b"<img src=x" not in read


def order(app, pair_id) -> list[str]:
    with app.app_context():
        program_id = db.session.get(Pair, pair_id).program_id
        return [g.builtin_key or g.slug for g in db.session.scalars(
            sa.select(Guide).filter_by(program_id=program_id)
            .order_by(Guide.position, Guide.id))]


def test_staff_reorder_add_delete_and_restore(app, pair):
    staff, _, lena, pair_id = pair
    staff.get("/guides/manage")
    before = order(app, pair_id)
    ids = guide_ids(app, pair_id)
    followed(staff, staff.post(f"/guides/{ids['goal-setting']}/move", {"direction": "up"},
                               page="/guides/manage"))
    after = order(app, pair_id)
    assert after[1] == "goal-setting" and after[2] == "working-together-online"
    first = staff.post(f"/guides/{ids['first-meeting']}/move", {"direction": "up"},
                       page="/guides/manage")
    assert b"That guide is already first." in followed(staff, first)
    odd = staff.post(f"/guides/{ids['closing']}/move", {"direction": "sideways"},
                     page="/guides/manage")
    assert odd.status_code == 303 and order(app, pair_id) == after
    assert titles_in_order(guides_page(lena, pair_id))[1] == "Goal setting"

    assert staff.get("/guides/new").status_code == 200
    added = staff.post("/guides/new", {"title": "Networking online", "week": "7",
                                       "body": "## Purpose\n\nMeet people.", "action": "save"},
                       page="/guides/new")
    assert "Saved “Networking online”.".encode() in followed(staff, added)
    assert order(app, pair_id)[-1] == "networking-online"
    assert b"Networking online" in guides_page(lena, pair_id)

    followed(lena, choose(lena, pair_id, ids["career-paths"]))
    confirm = staff.get(f"/guides/{ids['career-paths']}/delete")
    assert confirm.status_code == 200
    assert "Delete “Career paths”?".encode() in confirm.data
    assert b"the 1 pair that chose it" in confirm.data
    assert order(app, pair_id).count("career-paths") == 1  # asking is not deleting
    deleted = staff.post(f"/guides/{ids['career-paths']}/delete",
                         page=f"/guides/{ids['career-paths']}/delete")
    manage = followed(staff, deleted)
    assert "Deleted “Career paths”.".encode() in manage
    assert "career-paths" not in order(app, pair_id) and uses(app) == []
    assert b"no longer in this program: Career paths" in manage
    assert "career-paths" not in order(app, pair_id)  # visiting does not copy it back

    restored = staff.post("/guides/manage/restore", page="/guides/manage")
    page = followed(staff, restored)
    assert b"Restored 1 built-in guide at the end" in page
    assert order(app, pair_id)[-1] == "career-paths"
    assert len(order(app, pair_id)) == len(before) + 1
    again = followed(staff, staff.post("/guides/manage/restore", page="/guides/manage"))
    assert b"Every built-in guide is already in your program." in again


def test_staff_see_counts_not_names(app, pair):
    staff, mona, lena, pair_id = pair
    guides_page(lena, pair_id)
    ids = guide_ids(app, pair_id)
    followed(lena, choose(lena, pair_id, ids["first-meeting"]))
    followed(lena, choose(lena, pair_id, ids["goal-setting"]))
    use_id = uses(app)[0].id
    followed(mona, mona.post(f"/guide-uses/{use_id}/covered", page=f"/pairs/{pair_id}/guides"))
    page = staff.get("/guides/manage").data
    rows = {title.decode(): (int(chosen), int(covered)) for title, chosen, covered in re.findall(
        rb'">([^<]+)</a>(?: <span class="muted">[^<]*</span>)?</td>\s*<td[^>]*>(\d+)</td>\s*'
        rb'<td[^>]*>(\d+)</td>', page)}
    assert rows["First meeting and rapport"] == (1, 1)
    assert rows["Goal setting"] == (1, 0) and rows["Career paths"] == (0, 0)
    assert b"Lena" not in page and b"Mona" not in page


@pytest.mark.parametrize("path", ["/guides/manage", "/pairs/1/guides", "/guides/1"])
def test_without_a_session_nothing_is_shown(client, path):
    assert client.get(path).status_code == 401
