"""Scores posted to the sandbox LMS over real HTTP, read back from its gradebook: the fields,
completion flipping at the criteria, failures (500s, timeouts, 400, 403, 404, 409) that lose
nothing and never regress a score, two workers, one token, the line item found once, and
people who left the course."""

import json
from datetime import timedelta

import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Program, ResourceLink
from lti_tool.extensions import db
from lti_tool.grades import services, sync
from lti_tool.grades.models import (
    CONFLICT,
    FAILED,
    FORBIDDEN,
    HELD,
    LEFT,
    NOT_FOUND,
    PENDING,
    REJECTED,
    SENDING,
    SENT,
    SUPERSEDED,
    GradeRecord,
    GradeSync,
)
from lti_tool.pairs.models import Pair
from lti_tool.sandbox import grades as lms_grades
from lti_tool.sandbox.models import LineItem, Membership
from lti_tool.timeutil import as_utc, utcnow
from tests.support.grades import SCORES_PATH, build_cohort, gradebook, hold_meetings, relaxed
from tests.support.racing import race


def program_of(cohort) -> Program:
    return db.session.get(Program, cohort.program_id)


def pairs_of(cohort) -> list[Pair]:
    return [db.session.get(Pair, pair_id) for pair_id in cohort.pair_ids]


def queue(cohort) -> int:
    queued = services.queue_recompute(program_of(cohort))
    db.session.commit()
    return queued


def records(cohort) -> dict[str, GradeRecord]:
    db.session.rollback()
    return {r.person.subject: r for r in db.session.scalars(
        sa.select(GradeRecord).where(GradeRecord.program_id == cohort.program_id))}


def rows(status: str | None = None) -> list[GradeSync]:
    db.session.rollback()
    query = sa.select(GradeSync).order_by(GradeSync.id)
    if status:
        query = query.where(GradeSync.status == status)
    return list(db.session.scalars(query))


def later(minutes: int):
    return utcnow() + timedelta(minutes=minutes)


def test_scores_arrive_with_the_right_fields(grading, cohort):
    with grading.app.app_context():
        relaxed(program_of(cohort))
        first, second, third = pairs_of(cohort)
        hold_meetings(first, 3)
        hold_meetings(second, 1)
        hold_meetings(third, 2, confirmed_by="mentee")  # not confirmed by both: not held
        assert queue(cohort) == 3
        report = sync.sync_due()
        assert (report.sent, report.posts, report.retrying) == (3, 3, 0)
        book = gradebook(cohort.lineitem_id)
        mine = records(cohort)
        done, started, nothing = (mine[p.mentee.subject] for p in (first, second, third))
        assert book[done.person.subject].score_given == 50  # 30 points lifted to the pass
        assert book[done.person.subject].score_maximum == 100
        assert book[done.person.subject].grade == 50.0
        assert book[done.person.subject].activity_progress == "Completed"
        assert book[done.person.subject].grading_progress == "FullyGraded"
        assert book[done.person.subject].comment.startswith(
            "3 meetings held of 3 needed to complete (up to 6 count for points), last met 21 Jan")
        assert book[started.person.subject].score_given == 10
        assert book[started.person.subject].activity_progress == "InProgress"
        assert book[nothing.person.subject].score_given == 0
        assert book[nothing.person.subject].activity_progress == "Initialized"
        assert book[nothing.person.subject].comment.startswith(
            "0 meetings held of 3 needed")
        assert {r.sync_status for r in mine.values()} == {SENT}
        assert all(r.last_sent_score == r.score for r in mine.values())
        # Nothing moved: nothing is queued or posted again.
        assert queue(cohort) == 0
        assert sync.sync_due().posts == 0
    posts = grading.traffic.score_posts()
    assert len(posts) == 3
    # Moodle's line-item URL carries ?type_id=: /scores goes on the path, the query stays.
    assert {(p.path, p.query) for p in posts} == {
        (f"/sandbox/api/2/lineitems/{cohort.lineitem_id}/lineitem/scores", "type_id=1")}
    body = json.loads(posts[0].body)
    assert set(body) >= {"userId", "scoreGiven", "scoreMaximum", "timestamp", "comment",
                         "activityProgress", "gradingProgress"}


def test_completion_flips_exactly_at_the_criteria(grading, cohort):
    with grading.app.app_context():
        relaxed(program_of(cohort), min_meetings=3, pass_score=50)
        pair = pairs_of(cohort)[0]
        learner = pair.mentee.subject
        hold_meetings(pair, 2)
        queue(cohort)
        sync.sync_due()
        before = gradebook(cohort.lineitem_id)[learner]
        assert before.grade == 20 and before.grade < 50  # the LMS: not passed, not complete
        assert before.activity_progress == "InProgress"
        stamped = as_utc(before.timestamp)
        pair = db.session.get(Pair, pair.id)
        hold_meetings(pair, 1, start=as_utc(pair.started_at) + timedelta(days=60))
        assert queue(cohort) == 1
        sync.sync_due()
        after = gradebook(cohort.lineitem_id)[learner]
        assert after.grade == 50 and after.activity_progress == "Completed"
        assert as_utc(after.timestamp) > stamped
        assert records(cohort)[learner].completed


def test_injected_500s_are_retried_with_backoff_and_nothing_is_lost(grading, cohort):
    grading.traffic.fail(SCORES_PATH, times=2, status=500)
    with grading.app.app_context():
        hold_meetings(pairs_of(cohort)[0], 1)
        queue(cohort)
        first = sync.sync_due()
        assert (first.sent, first.retrying) == (1, 2)
        waiting = rows(PENDING)
        assert len(waiting) == 2 and all(r.attempts == 1 for r in waiting)
        assert all(r.failures[0]["status"] == 500 for r in waiting)
        assert all(as_utc(r.next_attempt_at) > utcnow() + timedelta(seconds=50) for r in waiting)
        assert "Attempt 1 failed" in records(cohort)[waiting[0].record.person.subject].sync_error
        assert sync.sync_due().posts == 0  # not due yet: backoff
        second = sync.sync_due(now=later(2))
        assert second.sent == 2
        book = gradebook(cohort.lineitem_id)
        assert {s: book[s].score_given for s in book} == {
            s: r.score for s, r in records(cohort).items()}


def test_a_post_that_timed_out_after_arriving_is_not_sent_twice_nor_regressed(grading, cohort):
    """The LMS stored the score but its answer came too late. A newer change made meanwhile
    goes out a second later than the lost one; a retry of the same change is a 409: done."""
    grading.app.config["LTI_HTTP_TIMEOUT_SECONDS"] = 1.5
    grading.traffic.stall(SCORES_PATH, times=2, delay=3.0)
    with grading.app.app_context():
        first_pair, second_pair = pairs_of(cohort)[:2]
        first_subject, second_subject = first_pair.mentee.subject, second_pair.mentee.subject
        hold_meetings(first_pair, 1)
        hold_meetings(second_pair, 1)
        queue(cohort)
        stalled = sync.sync_due(limit=2)
        assert stalled.retrying == 2
        book = gradebook(cohort.lineitem_id)
        assert book[first_pair.mentee.subject].score_given == 10  # it did arrive
        # A newer change of the first learner: coalesced over the stalled one.
        first_pair = db.session.get(Pair, first_pair.id)
        hold_meetings(first_pair, 1, start=as_utc(first_pair.started_at) + timedelta(days=90))
        queue(cohort)
        grading.app.config["LTI_HTTP_TIMEOUT_SECONDS"] = 10
        retried = sync.sync_due(now=later(5))
        book = gradebook(cohort.lineitem_id)
        assert book[first_pair.mentee.subject].score_given == 20  # newer, not refused
        assert book[second_pair.mentee.subject].score_given == 10
        statuses = {(r.record.person.subject, r.trigger, r.status) for r in rows()}
        assert (second_pair.mentee.subject, "change", CONFLICT) in statuses  # the retry: 409
        assert retried.conflict == 1 and retried.superseded == 1
        assert not rows(PENDING) and not rows(SENDING)
    posts = [json.loads(p.body) for p in grading.traffic.score_posts()]
    assert [p["scoreGiven"] for p in posts if p["userId"] == first_subject] == [10, 20]
    assert [p["scoreGiven"] for p in posts if p["userId"] == second_subject] == [10, 10]


def test_retries_give_up_and_say_so(grading, cohort):
    grading.traffic.fail(SCORES_PATH, times=10, status=503)
    with grading.app.app_context():
        hold_meetings(pairs_of(cohort)[0], 1)
        queue(cohort)
        sync.sync_due(limit=1)
        sync.sync_due(limit=1, now=later(2))
        sync.sync_due(limit=1, now=later(10))
        [failed] = rows(FAILED)
        assert failed.attempts == 3 and len(failed.failures) == 3
        assert "Gave up after 3 attempts" in failed.record.sync_error
        assert sync.retry_failed() == 1
        db.session.commit()
    grading.traffic.faults.clear()
    with grading.app.app_context():
        assert sync.sync_due().sent == 3


def test_two_workers_never_post_the_same_change_twice(grading):
    with grading.app.app_context():
        cohort = build_cohort(learners=24, mentors=4)
        relaxed(program_of(cohort))
        queue(cohort)
        for pair in pairs_of(cohort):  # two more changes per learner, all pending
            for days in (1, 8):
                hold_meetings(pair, 1, start=as_utc(pair.started_at) + timedelta(days=days))
                assert services.queue_recompute(pair) == 1
        db.session.commit()
        assert len(rows(PENDING)) == 72
    reports = race(grading.app, lambda: sync.sync_due(limit=100), workers=2, timeout=120)
    posts = [json.loads(p.body)["userId"] for p in grading.traffic.score_posts()]
    assert len(posts) == len(set(posts)) == 24  # one post per learner: the newest change
    assert sum(r.sent for r in reports) == 24 and sum(r.superseded for r in reports) == 48
    with grading.app.app_context():
        assert {r.status for r in rows()} == {SENT, SUPERSEDED}
        book = gradebook(cohort.lineitem_id)
        assert all(book[s].score_given == r.score == 20 for s, r in records(cohort).items())


def test_one_token_serves_every_post_and_the_next_runs(grading):
    with grading.app.app_context():
        cohort = build_cohort(learners=12)
        queue(cohort)
        assert sync.sync_due().sent == 12
        for pair in pairs_of(cohort):
            hold_meetings(pair, 1)
        queue(cohort)
        assert sync.sync_due().sent == 12
    assert grading.traffic.count("/sandbox/token") == 1
    assert len(grading.traffic.score_posts()) == 24


def test_the_line_item_is_found_once_when_the_launch_did_not_name_it(grading):
    with grading.app.app_context():
        cohort = build_cohort(learners=5, lineitem_url=False)
        queue(cohort)
        assert sync.sync_due().sent == 5
        link = db.session.get(ResourceLink, cohort.link_id)
        assert link.ags_lineitem_url.endswith(
            f"/lineitems/{cohort.lineitem_id}/lineitem?type_id=1")
        assert len(gradebook(cohort.lineitem_id)) == 5
    lookups = [s for s in grading.traffic.seen if s.path.endswith("/lineitems")]
    assert [s.method for s in lookups] == ["GET"]  # found, not created


def test_a_line_item_is_created_once_when_there_is_none(grading):
    with grading.app.app_context():
        cohort = build_cohort(learners=3, lineitem_url=False)
        item = db.session.get(LineItem, cohort.lineitem_id)
        item.tag = "something-else"  # the activity has no participation line item
        db.session.commit()
        queue(cohort)
        assert sync.sync_due().sent == 3
        created = db.session.scalars(sa.select(LineItem).where(
            LineItem.tag == "pairwise-participation")).one()
        assert created.id != cohort.lineitem_id and created.resource_id
        assert len(gradebook(created.id)) == 3
        for pair in pairs_of(cohort):
            hold_meetings(pair, 1)
        queue(cohort)
        sync.sync_due()
    lookups = [s.method for s in grading.traffic.seen if s.path.endswith("/lineitems")]
    assert lookups == ["GET", "POST"]


def test_409_means_a_newer_score_is_already_there(grading, cohort):
    with grading.app.app_context():
        learner = pairs_of(cohort)[0].mentee.subject
        item = db.session.get(LineItem, cohort.lineitem_id)
        lms_grades.record_score(item, {
            "userId": learner, "timestamp": "2099-01-01T00:00:00+00:00",
            "activityProgress": "Completed", "gradingProgress": "FullyGraded",
            "scoreGiven": 99, "scoreMaximum": 100, "comment": "Set in the LMS"})
        db.session.commit()
        queue(cohort)
        report = sync.sync_due()
        assert report.conflict == 1 and report.sent == 2 and report.retrying == 0
        assert gradebook(cohort.lineitem_id)[learner].score_given == 99  # not overwritten
        mine = records(cohort)[learner]
        assert mine.sync_status == CONFLICT and mine.sync_error == ""
        assert sync.sync_due(now=later(60)).posts == 0  # not a retry loop


def test_an_incorrect_score_is_rejected_with_a_reason(grading, cohort):
    with grading.app.app_context():
        pair = pairs_of(cohort)[0]
        membership = db.session.scalars(sa.select(Membership).filter_by(
            user_id=pair.mentee.subject)).one()
        membership.role = "TeachingAssistant"  # not gradable in the LMS: Moodle answers 400
        db.session.commit()
        queue(cohort)
        report = sync.sync_due()
        assert report.refused == 1 and report.sent == 2
        mine = records(cohort)[pair.mentee.subject]
        assert mine.sync_status == REJECTED
        assert "refused the score as incorrect (HTTP 400)" in mine.sync_error
        assert "not gradable" in mine.sync_error
        assert sync.sync_due(now=later(60)).posts == 0


def test_403_and_404_concern_the_line_item_and_are_not_repeated_per_learner(grading, cohort):
    grading.traffic.fail(SCORES_PATH, times=1, status=403)
    with grading.app.app_context():
        queue(cohort)
        report = sync.sync_due()
        assert report.refused == 3 and report.posts == 1
        assert {r.sync_status for r in records(cohort).values()} == {FORBIDDEN}
        assert "refused access" in next(iter(records(cohort).values())).sync_error
        # Staff fix the LMS and resend.
        for record in records(cohort).values():
            services.resend(record, None)
        db.session.commit()
    grading.traffic.fail(SCORES_PATH, times=1, status=404)
    with grading.app.app_context():
        report = sync.sync_due()
        assert report.refused == 3 and report.posts == 1
        assert {r.sync_status for r in records(cohort).values()} == {NOT_FOUND}


def test_people_who_left_are_flagged_not_graded(grading, cohort):
    runner = grading.app.test_cli_runner()
    with grading.app.app_context():
        gone = pairs_of(cohort)[0]
        gone_id, gone_subject = gone.id, gone.mentee.subject
        queue(cohort)
        sync.sync_due()
        for pair in pairs_of(cohort):
            hold_meetings(pair, 1)
        queue(cohort)
        # The learner is unenrolled in the LMS; the nightly roster sync notices.
        db.session.delete(db.session.scalars(sa.select(Membership).filter_by(
            user_id=gone_subject)).one())
        db.session.commit()
    result = runner.invoke(args=["grades", "roster-sync"])
    assert result.exit_code == 0, result.output
    assert "no longer enrolled" in result.output and "Synced 1 of 1 courses" in result.output
    with grading.app.app_context():
        report = sync.sync_due()
        assert report.left == 1 and report.sent == 2
        assert gradebook(cohort.lineitem_id)[gone_subject].score_given == 0  # the earlier one
        assert records(cohort)[gone_subject].sync_status == LEFT
        # While away, changes are flagged at once, not queued for posting.
        gone = db.session.get(Pair, gone_id)
        hold_meetings(gone, 1, start=as_utc(gone.started_at) + timedelta(days=30))
        queue(cohort)
        assert rows(LEFT)[-1].record.person.subject == gone_subject
        assert sync.sync_due().posts == 0
        # Re-enrolled: the current score is queued again and sent.
        db.session.add(Membership(course_id="2", user_id=gone_subject, role="Learner"))
        enrolment = db.session.scalars(sa.select(Enrolment).where(
            Enrolment.person_id == gone.mentee_id)).one()
        enrolment.active = True
        db.session.commit()
        assert queue(cohort) == 1
        assert sync.sync_due().sent == 1
        assert gradebook(cohort.lineitem_id)[gone_subject].score_given == 20


def test_a_held_score_stays_in_the_tool_until_released(grading, cohort):
    with grading.app.app_context():
        record_subject = pairs_of(cohort)[0].mentee.subject
        queue(cohort)
        sync.sync_due()
        record = records(cohort)[record_subject]
        staff = record.person  # any person stands in for the staff member here
        services.hold(record, staff, "Checking a disputed meeting")
        db.session.commit()
        hold_meetings(pairs_of(cohort)[0], 2)
        queue(cohort)
        assert sync.sync_due().posts == 0
        assert records(cohort)[record_subject].sync_status == HELD
        assert gradebook(cohort.lineitem_id)[record_subject].score_given == 0
        services.release(records(cohort)[record_subject], staff, "Confirmed")
        db.session.commit()
        assert sync.sync_due().sent == 1
        assert gradebook(cohort.lineitem_id)[record_subject].score_given == 20


def test_an_override_is_sent_and_audited(grading, cohort):
    with grading.app.app_context():
        subject = pairs_of(cohort)[0].mentee.subject
        queue(cohort)
        record = records(cohort)[subject]
        services.override(record, record.person, 75, "Met outside the tool, confirmed")
        db.session.commit()
        sync.sync_due()
        stored = gradebook(cohort.lineitem_id)[subject]
        assert stored.score_given == 75 and stored.comment.endswith("; score set by staff")
        [entry] = services.audit_log(program_of(cohort), record.person_id)
        assert (entry.action, entry.old_score, entry.new_score) == ("override", 0, 75)
        assert entry.reason == "Met outside the tool, confirmed"
        # The rubric moving does not undo staff's score.
        hold_meetings(pairs_of(cohort)[0], 1)
        queue(cohort)
        sync.sync_due()
        assert gradebook(cohort.lineitem_id)[subject].score_given == 75


def test_a_failing_lms_is_left_alone_for_the_rest_of_the_run(grading):
    grading.traffic.fail(SCORES_PATH, times=3, status=503)
    with grading.app.app_context():
        cohort = build_cohort(learners=6)
        queue(cohort)
        report = sync.sync_due()
        assert report.posts == 3 and report.retrying == 6
        untried = [r for r in rows(PENDING) if r.attempts == 0]
        assert len(untried) == 3 and "failed several times" in untried[0].last_error
        assert sync.sync_due(now=later(5)).sent == 6


def test_a_worker_that_died_after_posting_is_recovered_without_a_second_score(grading, cohort):
    """The worker claimed a person, posted, and died before recording the outcome. After the
    claim timeout another worker takes over: the retry repeats the timestamp, the LMS
    answers 409 and the change is done; nothing is posted twice with a new timestamp."""
    with grading.app.app_context():
        queue(cohort)
        [row, *_] = rows(PENDING)
        record = row.record
        stamp = utcnow().replace(microsecond=0)
        record.claim_token, record.claimed_at = "dead-worker", utcnow()
        record.last_ags_timestamp = stamp
        row.status, row.claim_token, row.claimed_at = SENDING, "dead-worker", utcnow()
        row.attempts, row.ags_timestamp = 1, stamp
        subject = record.person.subject
        item = db.session.get(LineItem, cohort.lineitem_id)
        lms_grades.record_score(item, {  # what the dead worker's post did
            "userId": subject, "timestamp": stamp.isoformat(), "activityProgress": "Initialized",
            "gradingProgress": "FullyGraded", "scoreGiven": 0, "scoreMaximum": 100})
        db.session.commit()
        now = sync.sync_due()
        assert now.sent == 2 and now.lost == 0  # the claim is still fresh: left alone
        recovered = sync.sync_due(now=later(10))
        assert recovered.conflict == 1 and recovered.posts == 1
        assert db.session.get(GradeSync, row.id).status == CONFLICT
        assert db.session.get(GradeSync, row.id).attempts == 2
    posted = [json.loads(p.body) for p in grading.traffic.score_posts()]
    assert [p["timestamp"][:19] for p in posted if p["userId"] == subject] == [
        stamp.isoformat()[:19]]
