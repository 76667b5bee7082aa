"""Privacy by design: what a pair writes is escaped, read by the pair alone (staff and other
participants get 403), and summed up for staff as dates, counts and statuses only. An ended
pair's workspace is kept to read and refuses every change."""

from datetime import date, timedelta

from lti_tool.workspace import services
from lti_tool.workspace.models import AgreementVersion, ChecklistTick, Goal, Milestone
from tests.support.clients import Participant
from tests.support.pairs import followed, intake
from tests.support.workspace import (
    SCRIPT,
    accept,
    add_goal,
    count,
    page,
    propose,
    rows,
    with_pair,
)

SOON = (date.today() + timedelta(days=45)).isoformat()
PRIVACY = b"Only you and Mona Mentor can read this. Program staff see only dates, counts and " \
          b"statuses."


def content_pages(pair_id, goal_id):
    return [f"/pairs/{pair_id}", f"/pairs/{pair_id}/getting-started",
            f"/pairs/{pair_id}/agreement", f"/pairs/{pair_id}/goals", f"/goals/{goal_id}/edit"]


def test_what_the_pair_writes_is_escaped_and_private(app, platform, pair):
    staff, mona, lena, pair_id = pair
    followed(lena, propose(lena, pair_id, mentee_hopes=f"Confidence {SCRIPT}"))
    followed(mona, accept(mona, pair_id, 1))
    followed(lena, add_goal(lena, pair_id, title=f"Pitch {SCRIPT}", target_date=SOON,
                            success_measure=f"Measured {SCRIPT}", milestones=f"Step {SCRIPT}"))
    followed(lena, lena.post(f"/pairs/{pair_id}/getting-started", {"item": "tech", "done": "1"},
                             page=f"/pairs/{pair_id}/getting-started"))
    [goal] = rows(app, Goal)

    for path in content_pages(pair_id, goal.id):
        view = page(lena, path)
        assert SCRIPT.encode() not in view, path
        assert PRIVACY in view, path
    assert b"Pitch &lt;script&gt;" in page(mona, f"/pairs/{pair_id}/goals")
    assert b"Confidence &lt;script&gt;" in page(mona, f"/pairs/{pair_id}/agreement")

    luis = Participant(app, platform, "11", "Learner", "Luis Learner")
    intake(luis, topics=["Leadership"])
    for outsider in (staff, luis):
        for path in content_pages(pair_id, goal.id):
            assert outsider.get(path).status_code == 403, path
    [milestone] = rows(app, Milestone)
    writes = [(f"/pairs/{pair_id}/goals", {"title": "Theirs"}),
              (f"/goals/{goal.id}/edit", {"title": "Theirs", "status": "dropped"}),
              (f"/goals/{goal.id}/review", {}), (f"/milestones/{milestone.id}/done", {"done": "1"}),
              (f"/pairs/{pair_id}/agreement/accept", {"version": "1"}),
              (f"/pairs/{pair_id}/getting-started", {"item": "tech", "done": "0"})]
    for path, data in writes:
        assert luis.post(path, data, page="/intake").status_code == 403, path
    assert rows(app, Goal)[0].title == f"Pitch {SCRIPT}"

    summary = with_pair(app, pair_id, services.pair_summary)
    assert summary["agreement"]["signed"] and summary["agreement"]["signed_at"] is not None
    assert summary["agreement"]["versions"] == 1
    assert summary["goals"]["total"] == 1 and summary["goals"]["active"] == 1
    assert summary["checklist"] == {"mentee": (3, 6), "mentor": (2, 6)}
    for private in ("Confidence", "Pitch", "Measured", "Step", "script"):
        assert private not in repr(summary)


def test_an_ended_pair_is_kept_to_read_and_refuses_changes(app, pair):
    staff, mona, lena, pair_id = pair
    followed(lena, propose(lena, pair_id, mentee_hopes="Grow as a speaker"))
    followed(lena, add_goal(lena, pair_id, title="Give a talk", target_date=SOON,
                            milestones="Write the abstract"))
    [goal], [milestone] = rows(app, Goal), rows(app, Milestone)
    followed(staff, staff.post(f"/pairs/{pair_id}/end", {"confirmed": "yes", "status": "completed"},
                               page="/matching"))

    agreement = page(lena, f"/pairs/{pair_id}/agreement")
    assert b"Grow as a speaker" in agreement and b"This pair has ended" in agreement
    assert b"I accept" not in page(mona, f"/pairs/{pair_id}/agreement")
    goals = page(lena, f"/pairs/{pair_id}/goals")
    assert b"Give a talk" in goals and b"Add the goal" not in goals
    assert b"This pair has ended" in page(lena, f"/pairs/{pair_id}")

    # The closed pages have no form to take a token from.
    refused = lena.post(f"/pairs/{pair_id}/goals", {"title": "One more"}, page="/intake")
    assert refused.status_code == 400 and b"This pair has ended" in refused.data
    refused = mona.post(f"/pairs/{pair_id}/agreement",
                        {"base": "1", "frequency": "weekly", "minutes": "30",
                         "preferred_channel": "video", "fallback_channel": "chat",
                         "response_time": "week", "confidentiality": "Ours",
                         "boundaries": "Kind"}, page="/intake")
    assert refused.status_code == 400 and b"This pair has ended" in refused.data
    refused = lena.post(f"/goals/{goal.id}/edit", {"title": "Changed", "status": "dropped"},
                        page="/intake")
    assert refused.status_code == 400 and b"This pair has ended" in refused.data
    for person, path, data in (
            (mona, f"/pairs/{pair_id}/agreement/accept", {"version": "1"}),
            (lena, f"/milestones/{milestone.id}/done", {"done": "1"}),
            (lena, f"/goals/{goal.id}/review", {}),
            (lena, f"/pairs/{pair_id}/getting-started", {"item": "tech", "done": "1"})):
        assert b"This pair has ended" in followed(person, person.post(path, data,
                                                                      page="/intake")), path
    assert count(app, AgreementVersion) == 1 and count(app, ChecklistTick) == 0
    [goal] = rows(app, Goal)
    assert goal.title == "Give a talk" and goal.reviewed_at is None
    assert rows(app, Milestone)[0].done is False
    assert with_pair(app, pair_id, services.agreement_signed) is None
