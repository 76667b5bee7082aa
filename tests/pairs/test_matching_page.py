"""The matching page at size: search, filters, sort and paging of both tables (GET parameters
that keep the session token), bulk actions (lock above a score, publish selected, end
selected), a confirmation step naming the counts before every irreversible action, and a
constant number of queries whatever the cohort's size."""

import re

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.intake.models import Mentor
from lti_tool.pairs.models import MatchRun, Pair, Proposal
from tests.support.clients import Participant
from tests.support.pairs import followed
from tests.support.staff_lists import counted_queries, grow, staff_of_program


@pytest.fixture
def big(app, platform):
    """40 mentors (2 places each), 80 learners: 40 paired, 30 proposed, 10 waiting."""
    staff, program_id = staff_of_program(app, platform)
    grown = grow(app, program_id, learners=80, mentors=40, paired=40, proposed=30)
    return staff, grown


def names_in(page: bytes, table: str) -> list[str]:
    """The mentee names of one table ("Proposed pairs" / "Published pairs"), in order."""
    text = page.decode()
    start = text.index(f'<caption class="visually-hidden">{table}</caption>')
    body = text[start:text.index("</table>", start)]
    return re.findall(r'<label class="pick"><input[^>]*>([^<]+)</label>', body)


def test_published_pairs_are_paged_with_the_session_token(app, big):
    staff, _ = big
    page = staff.get("/matching").data
    assert len(names_in(page, "Published pairs")) == 25
    assert b"40 of 40 published pairs match." in page
    assert b"Page 1 of 2" in page
    link = re.search(rb'href="([^"]*page=2[^"]*)" rel="next"', page).group(1).decode()
    assert "pw=" in link or "pw" not in staff.url("/matching")  # the token travels along
    second = staff.get("/matching?page=2").data
    assert len(names_in(second, "Published pairs")) == 15
    assert not set(names_in(page, "Published pairs")) & set(names_in(second, "Published pairs"))
    # The filter form is a GET form carrying the token as a hidden field when there is one.
    assert b'role="search"' in page and b'method="get"' in page


def test_search_by_name_filters_both_tables(app, big):
    staff, grown = big
    page = staff.get("/matching?q=learner41%20").data  # spaces trimmed, case ignored
    assert names_in(page, "Proposed pairs") == ["Learner41 Person5081"]
    assert names_in(page, "Published pairs") == []
    by_mentor = staff.get("/matching?q=Mentor0%20Person").data
    assert len(names_in(by_mentor, "Published pairs")) == 1  # 40 pairs over 40 mentors


def test_filters_low_score_mentor_group_and_broken_rule(app, big):
    staff, grown = big
    low = staff.get("/matching?show=low&below=50").data
    with app.app_context():
        expected = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(
            Proposal.score < 50))
    assert f"{expected} of 30 proposed pairs match.".encode() in low
    mentor = grown.mentors[0]
    mine = staff.get(f"/matching?mentor={mentor}").data
    assert b"1 of 40 published pairs match." in mine
    grouped = staff.get("/matching?group=Group0").data
    with app.app_context():
        in_group = [p for p in db.session.scalars(sa.select(Pair))
                    if int(p.mentee.subject) % 3 == 0]
    assert f"{len(in_group)} of 40 published pairs match.".encode() in grouped
    # The group rule changed after publishing: pairs across groups now break it.
    with app.app_context():
        program = db.session.get(Program, grown.program_id)
        program.constraints = {**(program.constraints or {}), "group_rule": "same"}
        db.session.commit()
        across = sum(1 for p in db.session.scalars(sa.select(Pair))
                     if int(p.mentee.subject) % 3 != int(p.mentor.subject) % 3)
    assert 0 < across
    broken = staff.get("/matching?show=rule").data
    assert f"{across} of 40 published pairs match.".encode() in broken
    assert b"breaks a rule" in broken


def test_sort_by_score_and_mentee(app, big):
    staff, _ = big
    page = staff.get("/matching?sort=-score").data
    with app.app_context():
        scores = [p.score for p in db.session.scalars(sa.select(Proposal))]
        top = {p.mentee.display_name for p in db.session.scalars(sa.select(Proposal))
               if p.score == max(scores)}
    assert names_in(page, "Proposed pairs")[0] in top
    by_name = names_in(staff.get("/matching?sort=mentee").data, "Proposed pairs")
    assert by_name == sorted(by_name, key=lambda n: n.split()[1])


def test_lock_every_pair_above_a_score(app, big):
    staff, grown = big
    followed(staff, staff.post(f"/matching/{grown.run_id}/lock-above", {"score": 80},
                               page="/matching"))
    with app.app_context():
        proposals = db.session.scalars(sa.select(Proposal)).all()
        assert {p.score >= 80 for p in proposals if p.locked} == {True}
        assert all(p.locked for p in proposals if p.score >= 80)


def test_publish_asks_first_naming_pairs_and_people(app, big):
    staff, grown = big
    asked = staff.post(f"/matching/{grown.run_id}/publish", page="/matching")
    assert asked.status_code == 200
    # 30 proposals: 30 mentees and 30 different mentors.
    assert b"Publish 30 pairs: 60 people will be told." in asked.data
    assert b'name="confirmed" value="yes"' in asked.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pair)) == 40
    done = staff.post(f"/matching/{grown.run_id}/publish", {"confirmed": "yes"},
                      page="/matching")
    assert done.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pair)) == 70


def test_publish_selected_keeps_the_rest_proposed(app, big):
    staff, grown = big
    chosen = grown.proposals[:3]
    asked = staff.post(f"/matching/{grown.run_id}/publish", {"proposal_id": chosen},
                       page="/matching")
    assert b"Publish 3 pairs: 6 people will be told." in asked.data
    assert asked.data.count(b'name="proposal_id"') == 3  # the choice travels to the next step
    staff.post(f"/matching/{grown.run_id}/publish", {"proposal_id": chosen,
                                                     "confirmed": "yes"}, page="/matching")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pair)) == 43
        draft = db.session.scalars(sa.select(MatchRun).filter_by(status="draft")).one()
        assert len(draft.proposals) == 27


def test_end_selected_asks_first_then_ends_them(app, big):
    staff, grown = big
    chosen = grown.pairs[:4]
    data = {"pair_id": chosen, "status": "ended", "reason": "term over"}
    asked = staff.post("/matching/pairs/end", data, page="/matching")
    assert asked.status_code == 200
    assert "End 4 pairs as “Ended early (the mentee can be matched again)”: 8 people will be " \
        "told.".encode() in asked.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pair).where(
            Pair.status == "active")) == 40
    staff.post("/matching/pairs/end", {**data, "confirmed": "yes"}, page="/matching")
    with app.app_context():
        ended = db.session.scalars(sa.select(Pair).where(Pair.status == "ended")).all()
        assert sorted(p.id for p in ended) == sorted(chosen)


def test_end_one_pair_is_on_its_own_page_and_asks_first(app, big):
    staff, grown = big
    pair_id = grown.pairs[0]
    listing = staff.get("/matching").data
    assert f"/pairs/{pair_id}/end".encode() not in listing  # no End control on the rows
    detail = staff.get(f"/matching/pairs/{pair_id}").data
    assert f"/pairs/{pair_id}/end".encode() in detail and f"/pairs/{pair_id}/extend".encode() \
        in detail
    asked = staff.post(f"/pairs/{pair_id}/end", {"status": "completed"},
                       page=f"/matching/pairs/{pair_id}")
    assert asked.status_code == 200 and b"End the pair Learner0 Person5040" in asked.data
    with app.app_context():
        assert db.session.get(Pair, pair_id).status == "active"


def test_withdraw_approval_and_remove_ask_first(app, big):
    staff, grown = big
    mentor_id = grown.mentor_rows[0]
    asked = staff.post(f"/mentors/{mentor_id}/approve", page="/mentors")
    assert asked.status_code == 200 and b"will no longer be proposed" in asked.data
    assert b"Their 1 active pair here goes on" in asked.data
    removing = staff.post(f"/mentors/{mentor_id}/remove", page="/mentors")
    assert removing.status_code == 200 and b"Remove mentor" in removing.data
    with app.app_context():
        assert db.session.get(Mentor, mentor_id).approved
    staff.post(f"/mentors/{mentor_id}/approve", {"confirmed": "yes"}, page="/mentors")
    with app.app_context():
        assert not db.session.get(Mentor, mentor_id).approved
    # Approving again is not irreversible: no question asked.
    assert staff.post(f"/mentors/{mentor_id}/approve", page="/mentors").status_code == 303
    staff.post(f"/mentors/{mentor_id}/remove", {"confirmed": "yes"}, page="/mentors")
    with app.app_context():
        assert db.session.get(Mentor, mentor_id) is None


def test_other_programs_pairs_are_not_found(app, platform, big):
    staff, grown = big
    outsider = Participant(app, platform, "99", "Instructor", "Olga Other",
                           context={"id": "other", "title": "Another course"})
    assert outsider.get(f"/matching/pairs/{grown.pairs[0]}").status_code == 404
    assert outsider.post("/matching/pairs/end", {"pair_id": grown.pairs[:1],
                                                 "status": "ended", "confirmed": "yes"},
                         page="/matching").status_code == 303
    with app.app_context():
        assert db.session.get(Pair, grown.pairs[0]).status == "active"


@pytest.mark.parametrize("path", ["/matching", "/mentors"])
def test_queries_do_not_grow_with_the_cohort(app, platform, path):
    staff, program_id = staff_of_program(app, platform)
    grow(app, program_id, learners=12, mentors=4, paired=4, proposed=4, first=5000)
    staff.get(path)
    with counted_queries(app) as small:
        assert staff.get(path).status_code == 200
    grow(app, program_id, learners=60, mentors=20, paired=20, proposed=20, first=7000)
    staff.get(path)
    with counted_queries(app) as large:
        assert staff.get(path).status_code == 200
    assert len(large) == len(small), (len(small), len(large))
