"""`flask --app wsgi grades ...`: post queued scores once (cron) or in a bounded loop, recompute
every program, sync every course's roster from the platform (cron), show the outbox's counts
and retry the changes that failed (those two commands come from `lti_tool.outbox`)."""

import logging

import click
from flask.cli import AppGroup
from pylti1p3.exception import LtiException
from requests import RequestException

from lti_tool import outbox
from lti_tool.courses.models import Course
from lti_tool.courses.roster import sync_roster
from lti_tool.extensions import db
from lti_tool.grades import services, sync
from lti_tool.lti.advantage import ServiceUnavailable

log = logging.getLogger(__name__)
grades_cli = AppGroup("grades", help="Participation grades: the LMS gradebook outbox.")
outbox.add_commands(grades_cli, sync.GRADES)  # status, retry-failed


@grades_cli.command("sync")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(min=1),
              help="At most this many people's changes in this run.")
def sync_command(limit: int) -> None:
    """Post the score changes that are due (run it from cron, e.g. every minute)."""
    report = sync.sync_due(limit)
    click.echo(report.summary() + f"; {report.posts} posts.")


@grades_cli.command("worker")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to wait between batches.")
@click.option("--max-loops", default=120, show_default=True, type=click.IntRange(min=1),
              help="Batches before the worker exits (its process manager restarts it).")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(min=1),
              help="At most this many people per batch.")
@click.option("--recompute-every", default=3600.0, show_default=True,
              type=click.FloatRange(min=0),
              help="Seconds between recomputing every program (0: never).")
def worker(interval: float, max_loops: int, limit: int, recompute_every: float) -> None:
    """Post score changes in a loop of at most --max-loops batches."""

    def echo(report: sync.SyncReport) -> None:
        if report.people:
            click.echo(report.summary() + ".")

    total = sync.run_worker(interval=interval, max_loops=max_loops, limit=limit,
                            recompute_seconds=recompute_every or None, on_batch=echo)
    click.echo(f"Worker done after {max_loops} batches. {total.summary()}; "
               f"{total.posts} posts.")


@grades_cli.command("recompute")
def recompute() -> None:
    """Recompute every program's scores and queue the ones that moved."""
    queued = sync.recompute_all()
    click.echo(f"Queued {queued} score changes.")


@grades_cli.command("roster-sync")
def roster_sync() -> None:
    """Read every course's roster from the platform (NRPS): people who left are flagged and
    no longer graded. Run it from cron, e.g. nightly."""
    courses = [c.id for c in services.roster_courses()]
    synced = failed = 0
    for course_id in courses:
        course = db.session.get(Course, course_id)
        if course is None:  # its platform was removed meanwhile: nothing to sync or fail
            click.echo(f"Course {course_id}: removed meanwhile.")
            continue
        try:
            result = sync_roster(course)
        except (ServiceUnavailable, LtiException, RequestException) as exc:
            db.session.rollback()
            failed += 1
            log.warning("roster sync failed: course=%s error=%s", course_id, exc)
            click.echo(f"Course {course_id}: failed ({exc}).", err=True)
            continue
        db.session.commit()
        synced += 1
        click.echo(f"Course {course_id}: {result.members} members, {result.added} new, "
                   f"{result.deactivated} no longer enrolled.")
    click.echo(f"Synced {synced} of {len(courses)} courses.")
    if failed:
        click.get_current_context().exit(1)
