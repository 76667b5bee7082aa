"""`flask --app wsgi program sweep`: what falls due with time, in every program: each package's
reminders (`sweep(program, now) -> int`, how many it queued: `SWEEPS`), then the weekly staff
digest (digest.py). Once (cron, every few minutes: everything it queues
is deduplicated) or in a bounded loop (`--loop`, as `make run` or a process manager runs it).

The sweeps run inside a request context on BASE_URL, so that they can build links. Each program
is one transaction, and each package's sweep a savepoint in it: one that fails is reported and
rolled back, and the others' work is kept."""

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.homes import digest
from lti_tool.pairs import reminders as pairs_reminders
from lti_tool.relationships import services as relationships
from lti_tool.surveys import reminders as surveys_reminders
from lti_tool.timeutil import utcnow

log = logging.getLogger(__name__)

Sweep = Callable[[Program, datetime], int]

program_cli = AppGroup("program", help="Programs: the reminders and digests that fall due.")


def _inactive_pairs(program: Program, now: datetime) -> int:
    """Warn inactive pairs and close those still inactive after the warning (with the staff
    alert), where the program asks for it."""
    return sum(relationships.sweep_inactive(program, now.date()).values())


# What falls due with time, by package, one line each; the staff digest last, so that it counts
# what the others changed. Meetings, workspace and journal schedule theirs when they happen.
SWEEPS: dict[str, Sweep] = {
    "pairs": pairs_reminders.sweep,
    "surveys": surveys_reminders.sweep,
    "relationships": _inactive_pairs,
    "staff digest": digest.send_digest,
}


@dataclass
class Report:
    programs: int = 0
    queued: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.queued.values())

    def summary(self) -> str:
        counts = ", ".join(f"{name} {count}" for name, count in self.queued.items())
        return f"Swept {self.programs} programs: queued {counts or 'nothing'}."


def sweep_programs(now: datetime) -> Report:
    """Every sweep for every program, each program committed on its own."""
    steps = SWEEPS
    report = Report(queued=Counter({name: 0 for name in steps}))
    base_url = current_app.config.get("BASE_URL") or None
    for program_id in db.session.scalars(sa.select(Program.id).order_by(Program.id)).all():
        program = db.session.get_one(Program, program_id)
        with current_app.test_request_context(base_url=base_url):
            for name, sweep in steps.items():
                report.queued[name] += _run(name, sweep, program, now, report)
        db.session.commit()
        report.programs += 1
    return report


def _run(name: str, sweep: Sweep, program: Program, now: datetime, report: Report) -> int:
    try:
        with db.session.begin_nested():
            return sweep(program, now)
    except Exception:  # one package's defect must not stop every other reminder
        log.exception("program sweep: %s failed for program %s", name, program.id)
        report.failed.append(f"{name} (program {program.id})")
        return 0


@program_cli.command("sweep")
@click.option("--loop", is_flag=True, help="Sweep --max-loops times, --interval seconds apart.")
@click.option("--interval", default=300.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between sweeps (with --loop).")
@click.option("--max-loops", default=12, show_default=True, type=click.IntRange(min=1),
              help="Sweeps before the loop exits (its process manager restarts it).")
def sweep(loop: bool, interval: float, max_loops: int) -> None:
    """Queue the reminders and digests that are due, in every program."""
    rounds = max_loops if loop else 1
    failed = False
    for done in range(1, rounds + 1):
        report = sweep_programs(utcnow())
        if not loop or report.total or report.failed:
            click.echo(report.summary())
        for what in report.failed:
            click.echo(f"Failed: {what} (see the log); the rest was done.", err=True)
        failed = failed or bool(report.failed)
        db.session.remove()  # hold no connection while sleeping
        if done < rounds:
            time.sleep(interval)
    if loop:
        click.echo(f"Sweeps done after {rounds} rounds.")
    if failed:
        raise click.exceptions.Exit(1)
