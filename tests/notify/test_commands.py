"""`flask notify send|worker|status|retry-failed`, driven through the CLI runner."""

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.notify import services as notify
from lti_tool.notify.models import Notification
from lti_tool.timeutil import utcnow


def queue(person, key, **kwargs):
    row = notify.enqueue(person, "meeting_proposed", f"Subject {key}", "Body", dedupe_key=key,
                         **kwargs)
    db.session.commit()
    return row.id


def statuses() -> dict[str, str]:
    db.session.rollback()  # see what the command committed
    return dict(db.session.execute(sa.select(Notification.dedupe_key, Notification.status))
                .all())


def test_send_without_a_mail_server_keeps_them_in_the_outbox(runner, person):
    queue(person, "a")
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "MAIL_SERVER is not set" in result.stderr
    assert "Sent 1 (outbox), retrying 0, failed 0, no address 0." in result.stdout
    assert statuses() == {"a": "sent"}


def test_send_over_smtp_with_a_limit(runner, make_person, smtp_server):
    queue(make_person("A", "a@example.edu"), "a")
    queue(make_person("B", "b@example.edu"), "b")
    result = runner.invoke(args=["notify", "send", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 (smtp)" in result.stdout and result.stderr == ""
    assert sorted(statuses().values()) == ["pending", "sent"]
    assert runner.invoke(args=["notify", "send"]).exit_code == 0
    assert sorted(statuses().values()) == ["sent", "sent"]
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == ["a@example.edu",
                                                                   "b@example.edu"]


def test_send_refuses_mail_settings_that_cannot_work(runner, ctx, person):
    ctx.config.update(MAIL_SERVER="smtp.example.edu", MAIL_FROM="")
    queue(person, "a")
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 2 and "MAIL_FROM must be an e-mail address" in result.output
    assert statuses() == {"a": "pending"}
    assert runner.invoke(args=["notify", "send", "--limit", "0"]).exit_code == 2


def test_worker_loops_a_bounded_number_of_times(runner, make_person, smtp_server):
    queue(make_person("A", "a@example.edu"), "now")
    # "soon" falls due between the two batches; the margin is wide enough for a busy
    # machine to start the first batch late (0.3 s was not, in CI).
    queue(make_person("B", "b@example.edu"), "soon",
          send_after=utcnow() + timedelta(seconds=1.5))
    result = runner.invoke(args=["notify", "worker", "--interval", "2", "--max-loops", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Sent 1 (smtp)") and lines[1].startswith("Sent 1 (smtp)")
    assert lines[2] == "Worker done after 2 batches. Sent 2 (smtp), retrying 0, failed 0, " \
                       "no address 0."
    assert statuses() == {"now": "sent", "soon": "sent"}
    assert len(smtp_server.received) == 2


def test_worker_does_not_sleep_after_a_full_batch(ctx, make_person, smtp_server):
    for key in ("a", "b", "c"):
        queue(make_person(key, f"{key}@example.edu"), key)
    sleeps = []
    total = notify.run_worker(interval=30, max_loops=3, limit=2, sleep=sleeps.append)
    assert total.sent == 3 and sleeps == [30]  # after the 2nd batch (1 row), not the 1st


def test_status_and_retry_failed(runner, make_person):
    queue(make_person("A", "a@example.edu"), "a")
    failed = queue(make_person("B", "b@example.edu"), "b")
    queue(make_person("C", ""), "c")
    row = db.session.get(Notification, failed)
    row.status, row.attempts, row.last_error = "failed", 5, "SMTPDataError: 554"
    db.session.commit()
    result = runner.invoke(args=["notify", "status"])
    assert result.exit_code == 0
    assert result.stdout.split("\n")[:7] == ["pending     1", "sending     0", "sent        0",
                                             "failed      1", "cancelled   0",
                                             "no_address  1", "skipped     0"]
    result = runner.invoke(args=["notify", "retry-failed"])
    assert result.exit_code == 0 and "Queued 1 failed notifications again." in result.stdout
    db.session.rollback()
    row = db.session.get(Notification, failed, populate_existing=True)
    assert (row.status, row.attempts) == ("pending", 0)


def test_send_reports_what_was_skipped_and_what_waits(runner, person):
    from lti_tool.notify import preferences

    preferences.choose(person, {"actions": "off", "checkins": "digest"})
    notify.enqueue(person, "action_reminder", "Due", "Body", dedupe_key="off")
    notify.enqueue(person, "checkin_due", "Check in", "Body", dedupe_key="digest")
    db.session.commit()
    result = runner.invoke(args=["notify", "send"])
    assert "Sent 0 (outbox), retrying 0, failed 0, no address 0, skipped 1 (turned off), " \
           "waiting 1 (hourly limit or digest)." in result.stdout
    assert statuses() == {"off": "skipped", "digest": "pending"}
    status = runner.invoke(args=["notify", "status"]).stdout
    assert "skipped     1" in status.splitlines()
