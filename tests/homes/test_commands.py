"""`flask program sweep`: every package's reminders and the staff digest, for every program,
inside a request context on BASE_URL, one transaction per program; idempotent; once or in a
bounded loop; a package that fails does not stop the others."""

import sqlalchemy as sa
from flask import has_request_context, url_for

from lti_tool.extensions import db
from lti_tool.homes import commands, digest
from lti_tool.notify.models import Notification
from tests.support.clients import Participant

ELSEWHERE = {"id": "other-course", "title": "Elsewhere"}


def _outbox(app) -> list[tuple[str, str]]:
    with app.app_context():
        return list(db.session.execute(sa.select(Notification.kind, Notification.dedupe_key)
                                       .order_by(Notification.id)))


def _package(monkeypatch, name: str, sweep) -> None:
    """A package's `sweep`, swept alone with the staff digest."""
    monkeypatch.setattr(commands, "SWEEPS", {name: sweep, "staff digest": digest.send_digest})


def test_every_program_is_swept_once_per_run_with_links_on_base_url(
        app, runner, platform, pair, monkeypatch):
    Participant(app, platform, "11", "Learner", "Luis Learner")  # something for the digest
    Participant(app, platform, "50", "Instructor", "Olga Other", context=ELSEWHERE)
    seen = []

    def sweep(program, now):
        assert has_request_context() and now.tzinfo is not None
        seen.append((program.id, url_for("homes.home", _external=True)))
        return 1

    _package(monkeypatch, "fake", sweep)
    result = runner.invoke(args=["program", "sweep"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Swept 2 programs: queued fake 2, staff digest 1.\n"
    assert [url for _, url in seen] == ["http://127.0.0.1:5000/"] * 2
    assert len({program_id for program_id, _ in seen}) == 2
    assert [kind for kind, _ in _outbox(app)].count("staff_digest") == 1


def test_the_real_sweeps_are_idempotent(app, runner, platform, pair):
    Participant(app, platform, "11", "Learner", "Luis Learner")
    first = runner.invoke(args=["program", "sweep"])
    assert first.exit_code == 0, first.output
    assert "staff digest 1" in first.stdout
    queued = _outbox(app)
    assert ("staff_digest" in {kind for kind, _ in queued})
    again = runner.invoke(args=["program", "sweep"])
    assert again.exit_code == 0, again.output
    assert "staff digest 0" in again.stdout
    assert _outbox(app) == queued  # nothing twice


def test_the_loop_runs_a_bounded_number_of_sweeps(app, runner, platform, pair, monkeypatch):
    Participant(app, platform, "11", "Learner", "Luis Learner")
    calls = []
    _package(monkeypatch, "fake", lambda program, now: calls.append(now) or 0)
    result = runner.invoke(args=["program", "sweep", "--loop", "--interval", "0",
                                 "--max-loops", "3"])
    assert result.exit_code == 0, result.output
    assert len(calls) == 3
    # Only a sweep that queued something is reported: the first (the week's digest).
    assert result.stdout.splitlines() == ["Swept 1 programs: queued fake 0, staff digest 1.",
                                          "Sweeps done after 3 rounds."]
    assert runner.invoke(args=["program", "sweep", "--loop", "--max-loops", "0"]).exit_code == 2


def test_a_package_that_fails_is_reported_and_the_rest_is_kept(
        app, runner, platform, pair, monkeypatch):
    Participant(app, platform, "11", "Learner", "Luis Learner")

    def broken(program, now):
        db.session.add(Notification(recipient_id=1, kind="x", subject="x", body="x",
                                    dedupe_key="half-done"))
        db.session.flush()
        raise RuntimeError("a defect")

    _package(monkeypatch, "broken", broken)
    before = _outbox(app)
    result = runner.invoke(args=["program", "sweep"])
    assert result.exit_code == 1
    assert "Failed: broken (program 1) (see the log); the rest was done." in result.stderr
    added = _outbox(app)[len(before):]
    assert [kind for kind, _ in added] == ["staff_digest"]  # its half-done work undone
