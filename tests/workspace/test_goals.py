"""Goals over HTTP: either member adds and edits them, milestones carry progress
(or a percentage does without them), status and the mid-point review are recorded with who
and when, and bad input comes back with what was typed."""

from datetime import date, timedelta

from lti_tool.extensions import db
from lti_tool.workspace import services
from lti_tool.workspace.models import Goal, Milestone
from tests.support.pairs import followed, person_id
from tests.support.workspace import add_goal, count, page, rows, with_pair

SOON = (date.today() + timedelta(days=60)).isoformat()


def edit(person, goal_id, **fields):
    return person.post(f"/goals/{goal_id}/edit", fields, page=f"/goals/{goal_id}/edit")


def test_a_goal_with_milestones_from_plan_to_review(app, pair):
    _, mona, lena, pair_id = pair
    added = followed(lena, add_goal(
        lena, pair_id, title="Land a junior analyst role", description="In a public body",
        success_measure="An offer by summer", target_date=SOON,
        milestones="Draft my CV\n- Get feedback on it\n\nSend three applications\nDraft my CV"))
    assert b"Goal added." in added and b"Land a junior analyst role" in added
    [goal] = rows(app, Goal)
    assert goal.status == "active" and goal.created_by_id == person_id(app, "10")
    milestones = rows(app, Milestone)
    assert [m.title for m in milestones] == ["Draft my CV", "Get feedback on it",
                                             "Send three applications"]

    done = followed(mona, mona.post(f"/milestones/{milestones[0].id}/done", {"done": "1"},
                                    page=f"/pairs/{pair_id}/goals"))
    assert b"Milestone done." in done and b"33 %" in done and b"1 of 3 milestones" in done
    assert b"last changed by you" in done  # Mona changed it last

    edit_page = page(lena, f"/goals/{goal.id}/edit")
    assert b"Send three applications" in edit_page
    saved = followed(lena, edit(lena, goal.id, title="Land a junior analyst role",
                                target_date=SOON, status="active",
                                milestones="Draft my CV\nSend three applications\nPrepare for "
                                           "interviews"))
    assert b"Goal saved." in saved
    with app.app_context():
        goal = db.session.get(Goal, goal.id)
        assert [(m.title, m.done) for m in goal.milestones] == [
            ("Draft my CV", True), ("Send three applications", False),
            ("Prepare for interviews", False)]  # the one kept keeps its done mark
        assert goal.percent == 33 and goal.updated_by_id == person_id(app, "10")

    reviewed = followed(mona, mona.post(f"/goals/{goal.id}/review",
                                        page=f"/pairs/{pair_id}/goals"))
    assert b"Reviewed at the mid-point on" in reviewed and b"by you" in reviewed
    assert rows(app, Goal)[0].reviewed_by_id == person_id(app, "2")
    followed(mona, edit(mona, goal.id, title="Land a junior analyst role", status="achieved",
                        milestones="Draft my CV"))
    assert rows(app, Goal)[0].status == "achieved"
    summary = with_pair(app, pair_id, services.pair_summary)["goals"]
    assert summary == {**summary, "total": 1, "achieved": 1, "active": 0, "reviewed": 1}


def test_progress_without_milestones_and_the_order_of_goals(app, pair):
    _, mona, lena, pair_id = pair
    followed(lena, add_goal(lena, pair_id, title="Read two books on leadership",
                            progress="40"))
    followed(mona, add_goal(mona, pair_id, title="Speak at a meetup", target_date=SOON))
    view = page(lena, f"/pairs/{pair_id}/goals")
    assert b"40 %" in view
    first = rows(app, Goal)[0]
    followed(lena, edit(lena, first.id, title=first.title, status="achieved", progress="60"))
    goals = with_pair(app, pair_id, lambda p: [(g.title, g.percent)
                                               for g in services.goals_of(p)])
    assert goals == [("Speak at a meetup", 0), ("Read two books on leadership", 100)]


def test_bad_goals_are_refused_with_the_draft_kept(app, pair):
    _, _, lena, pair_id = pair
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    cases = [
        ({"title": "  "}, b"The goal: write something here"),
        ({"title": "x" * 201}, b"keep it under 200 characters"),
        ({"target_date": yesterday}, b"The target date has passed"),
        ({"target_date": (date.today() + timedelta(days=800)).isoformat()},
         b"within two years"),
        ({"progress": "150"}, b"From 0 to 100"),
        ({"milestones": "\n".join(f"Step {n}" for n in range(13))}, b"Up to 12 milestones"),
        ({"milestones": "m" * 201}, b"Each milestone: keep it under 200"),
    ]
    for changes, message in cases:
        fields = {"title": "A fine goal", "description": "Typed with care", **changes}
        refused = add_goal(lena, pair_id, **fields)
        assert refused.status_code == 400, changes
        assert message in refused.data, changes
        assert b"Typed with care" in refused.data
    assert count(app, Goal) == 0


def test_an_old_target_date_may_stay_but_not_be_chosen(app, pair):
    _, _, lena, pair_id = pair
    followed(lena, add_goal(lena, pair_id, title="Finish the course", target_date=SOON))
    past = date.today() - timedelta(days=3)
    with app.app_context():
        goal = db.session.scalars(db.select(Goal)).one()
        goal.target_date = past  # the date went by
        db.session.commit()
        goal_id = goal.id
    kept = edit(lena, goal_id, title="Finish the course on time", target_date=past.isoformat(),
                status="active")
    assert kept.status_code == 303
    moved = edit(lena, goal_id, title="Finish the course on time",
                 target_date=(past - timedelta(days=1)).isoformat(), status="active")
    assert moved.status_code == 400 and b"The target date has passed" in moved.data
    assert b"Finish the course on time" in moved.data
    assert rows(app, Goal)[0].target_date == past
