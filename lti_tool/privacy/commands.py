"""`flask --app wsgi privacy ...`: an administrator's export and erasure for one person, and
`privacy purge` (daily from a timer: deploy/systemd/pairwise-privacy.timer)."""

import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lti_tool.courses.models import Course, Person
from lti_tool.extensions import db
from lti_tool.privacy import erasure, retention, services

privacy_cli = AppGroup("privacy", help="Personal data: export, erasure, retention.")


def _person(platform_id: int, subject: str) -> Person:
    person = db.session.scalar(sa.select(Person).filter_by(platform_id=platform_id,
                                                           subject=subject))
    if person is None:
        raise click.ClickException(f"No person {subject!r} on platform {platform_id}.")
    return person


@privacy_cli.command("export")
@click.option("--platform", "platform_id", type=int, required=True,
              help="The platform's id (flask lti list-platforms).")
@click.option("--person", "subject", required=True, help="The person's LMS user id (sub).")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-",
              help="A file to write (default: standard output).")
def export(platform_id: int, subject: str, output):
    """Write everything Pairwise holds about a person on a platform, as JSON."""
    person = _person(platform_id, subject)
    output.write(services.export_json(person) + "\n")
    from lti_tool.security import audit

    audit.record("privacy.exported", target=f"person:{person.id}", person_id=person.id,
                 platform=platform_id, via="cli")
    db.session.commit()


@privacy_cli.command("erase")
@click.option("--platform", "platform_id", type=int, required=True,
              help="The platform's id (flask lti list-platforms).")
@click.option("--course", "context_id", required=True, help="The course's LMS context id.")
@click.option("--person", "subject", required=True, help="The person's LMS user id (sub).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(platform_id: int, context_id: str, subject: str, yes: bool):
    """Erase a person's data in one course (as staff do on the person's request)."""
    course = db.session.scalar(sa.select(Course).filter_by(platform_id=platform_id,
                                                           context_id=context_id))
    if course is None:
        raise click.ClickException(f"No course {context_id!r} on platform {platform_id}.")
    person = _person(platform_id, subject)
    if not yes:
        click.confirm(f"Erase the data of person {person.id} in course {course.id}? "
                      "This cannot be undone", abort=True)
    try:
        result = erasure.erase_person(course, person)
        db.session.commit()
    except services.PrivacyError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    counts = ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items())) or "nothing"
    click.echo(f"Erased person {result.person_id} in course {result.course_id}: {counts}"
               f"{'; profile deleted' if result.profile_deleted else ''}.")


@privacy_cli.command("purge")
def purge():
    """Remove the private writing of programs past their retention (idempotent)."""
    try:
        done = retention.purge()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    changed = [p for p in done if p.total]
    for p in changed:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(p.counts.items()))
        click.echo(f"Program {p.program_id} (ended {p.ended_on.isoformat()}): {counts}")
    click.echo(f"Purged {len(changed)} programs past their retention "
               f"({len(done) - len(changed)} already purged).", file=sys.stdout)
