"""Grade sync at network speed, against the fast AGS endpoint (tests/support/fast_ags.py): a
chunk's posts in flight together but never more than the pool, bookkeeping per chunk (the
worker's statements do not grow with the people in it), one access token per run fetched
again after a 401, a worker killed mid-chunk taken over after its claim expires with each
person's newest score posted once, and two workers racing."""

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Program, ResourceLink
from lti_tool.extensions import db
from lti_tool.grades import services, sync
from lti_tool.grades.models import CONFLICT, PENDING, SENDING, SENT, SUPERSEDED, GradeSync
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc, utcnow
from tests.support.grades import build_cohort, hold_meetings
from tests.support.racing import race


def on_fast(fast_ags, learners: int, mentors: int = 1):
    """A cohort whose platform and link are pointed at the fast endpoint; its changes queued."""
    cohort = build_cohort(learners=learners, mentors=mentors, lineitem_url=False)
    link = db.session.get(ResourceLink, cohort.link_id)
    fast_ags.retarget(link.course.platform, link)
    db.session.commit()
    services.queue_recompute(db.session.get(Program, cohort.program_id))
    db.session.commit()
    return cohort


def newer_change(cohort, days: int) -> None:
    """A meeting more for every pair: each learner's score moves, a change is queued."""
    for pair_id in cohort.pair_ids:
        pair = db.session.get(Pair, pair_id)
        hold_meetings(pair, 1, start=as_utc(pair.started_at) + timedelta(days=days))
        assert services.queue_recompute(pair) == 1
    db.session.commit()


def statuses() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(GradeSync.status).order_by(GradeSync.id)))


class MyStatements:
    """Counts the SQL statements and commits this thread sends (not the LMS's threads)."""

    def __init__(self):
        self.thread = threading.get_ident()
        self.statements, self.commits, self.token_reads = 0, 0, 0

    def _statement(self, _conn, _cursor, statement, *_args):
        if threading.get_ident() == self.thread:
            self.statements += 1
            self.token_reads += "FROM lti_access_token" in statement

    def _commit(self, _conn):
        if threading.get_ident() == self.thread:
            self.commits += 1

    def __enter__(self):
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._statement)
        sa.event.listen(sa.engine.Engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", self._statement)
        sa.event.remove(sa.engine.Engine, "commit", self._commit)


def test_a_chunk_is_posted_concurrently_never_beyond_the_pool(grading, fast_ags):
    fast_ags.gate = 4  # each post waits until four are in flight together
    with grading.app.app_context():
        on_fast(fast_ags, learners=20)
        sender = sync.Sender(pool=4)
        try:
            report = sync.sync_due(sender=sender)
        finally:
            sender.close()
        assert (report.sent, report.posts, report.people) == (20, 20, 20)
    assert fast_ags.counts.max_in_flight == 4
    assert fast_ags.counts.score_posts == 20 and len(fast_ags.counts.scores) == 20
    assert (fast_ags.counts.token_requests, fast_ags.counts.lineitem_requests) == (1, 1)


def test_the_bookkeeping_is_per_chunk_not_per_score(grading, fast_ags):
    """Ten people or forty (one chunk either way), the token cached and the line item known:
    the same statements and commits."""
    with grading.app.app_context():
        few = on_fast(fast_ags, learners=10)
        assert sync.sync_due().sent == 10  # finds the line item, fetches the token
        newer_change(few, days=7)
        with MyStatements() as for_few:
            assert sync.sync_due().sent == 10
        many = build_cohort(learners=40, mentors=1, first_user=5000, title="Larger program")
        link = db.session.get(ResourceLink, many.link_id)
        link.ags_lineitems_url, link.ags_lineitem_url = (fast_ags.lineitems_url,
                                                         fast_ags.lineitem_url)
        db.session.commit()
        services.queue_recompute(db.session.get(Program, many.program_id))
        db.session.commit()
        with MyStatements() as for_many:
            assert sync.sync_due().sent == 40
    assert for_many.statements == for_few.statements <= 30
    assert for_many.commits == for_few.commits <= 6


def test_one_token_per_run_held_in_memory_and_fetched_again_after_a_401(grading, fast_ags):
    with grading.app.app_context():
        cohort = on_fast(fast_ags, learners=12)
        with MyStatements() as first_run:
            assert sync.sync_due().sent == 12
        assert fast_ags.counts.token_requests == 1
        # The line-item lookup's, the fetch's (cache, write-back) and the expiry: none per post.
        assert first_run.token_reads <= 4
        fast_ags.revoke()  # the token cached in the database is no good any more
        newer_change(cohort, days=7)
        report = sync.sync_due()
        assert (report.sent, report.retrying, report.posts) == (12, 0, 12)
    assert fast_ags.counts.token_requests == 2  # fetched again once, not once per post
    assert fast_ags.counts.refused == 1  # the first post asks alone: one 401, then concurrency
    assert fast_ags.counts.score_posts == 12 + 12 + 1


class Killed(BaseException):
    """The worker process dying (not an error a handler would catch)."""


def test_a_worker_killed_mid_chunk_is_taken_over_and_posts_each_newest_once(grading, fast_ags,
                                                                           monkeypatch):
    with grading.app.app_context():
        cohort = on_fast(fast_ags, learners=8)

        def die(*_args):
            raise Killed

        with monkeypatch.context() as patched:
            patched.setattr(sync, "_record", die)  # posted, then killed before recording
            with pytest.raises(Killed):
                sync.sync_due()
        assert fast_ags.counts.score_posts == 8
        assert statuses() == [SENDING] * 8
        assert sync.sync_due().posts == 0  # their claims are fresh: nobody takes them yet
        newer_change(cohort, days=7)  # half the learners' scores move meanwhile
        later = utcnow() + timedelta(seconds=grading.app.config["GRADES_CLAIM_TIMEOUT_SECONDS"]
                                     + 60)
        recovered = sync.sync_due(now=later)
        assert recovered.posts == 8 and recovered.lost == 0
        assert recovered.sent == 8 and recovered.superseded == 8
        assert sorted(statuses()) == sorted([SUPERSEDED] * 8 + [SENT] * 8)
        assert sync.sync_due(now=later + timedelta(hours=1)).posts == 0
    posted: dict[str, list[datetime]] = {}
    for score in fast_ags.counts.posted:
        posted.setdefault(score["userId"], []).append(datetime.fromisoformat(score["timestamp"]))
    assert len(posted) == 8
    for stamps in posted.values():  # the stalled score, then the newest a whole second later
        assert len(stamps) == 2 and stamps[1].replace(microsecond=0) > stamps[0]
    assert {s["scoreGiven"] for s in fast_ags.counts.posted[-8:]} == {10}


def test_a_killed_worker_whose_posts_arrived_is_answered_409_not_posted_anew(grading,
                                                                             fast_ags,
                                                                             monkeypatch):
    with grading.app.app_context():
        on_fast(fast_ags, learners=6)
        with monkeypatch.context() as patched:
            patched.setattr(sync, "_record", lambda *_args: (_ for _ in ()).throw(Killed))
            with pytest.raises(Killed):
                sync.sync_due()
        later = utcnow() + timedelta(seconds=grading.app.config["GRADES_CLAIM_TIMEOUT_SECONDS"]
                                     + 60)
        recovered = sync.sync_due(now=later)
        assert (recovered.conflict, recovered.posts, recovered.sent) == (6, 6, 0)
        assert statuses() == [CONFLICT] * 6
    stamps = [(s["userId"], s["timestamp"]) for s in fast_ags.counts.posted]
    assert len(stamps) == 12 and len(set(stamps)) == 6  # the same timestamps, repeated


def test_two_workers_racing_post_each_person_once_with_the_newest_score(grading, fast_ags):
    with grading.app.app_context():
        cohort = on_fast(fast_ags, learners=60, mentors=6)  # more than one chunk each
        newer_change(cohort, days=1)
        newer_change(cohort, days=8)
        assert statuses().count(PENDING) == 180
    reports = race(grading.app, lambda: sync.sync_due(limit=100), workers=2, timeout=120)
    users = [s["userId"] for s in fast_ags.counts.posted]
    assert len(users) == len(set(users)) == 60
    assert {s["scoreGiven"] for s in fast_ags.counts.posted} == {20}
    assert sum(r.sent for r in reports) == 60 and sum(r.superseded for r in reports) == 120
    with grading.app.app_context():
        assert set(statuses()) == {SENT, SUPERSEDED}
