"""`flask --app wsgi security ...`: read the audit log, purge ended rate-limit windows."""

import json

import click
from flask.cli import AppGroup

from lti_tool.extensions import db
from lti_tool.security import audit, ratelimit

security_cli = AppGroup("security", help="Audit log and rate-limit housekeeping.")


@security_cli.command("audit")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help="How many events, newest first.")
@click.option("--action", default=None, help="Only actions starting with this, e.g. platform.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit_command(limit, action, as_json):
    """Print recent audit events (staff and administrator actions)."""
    events = audit.recent(limit, action)
    if not events and not as_json:
        click.echo("No audit events.")
    for event in events:
        row = {"at": event.at.isoformat(timespec="seconds"), "action": event.action,
               "target": event.target, "actor_id": event.actor_id,
               "platform_id": event.platform_id, "course_id": event.course_id,
               "program_id": event.program_id, "ip": event.ip, "details": event.details}
        if as_json:
            click.echo(json.dumps(row, sort_keys=True))
            continue
        who = f"person {event.actor_id}" if event.actor_id is not None else "admin/system"
        where = " ".join(f"{name}={row[name + '_id']}" for name in ("platform", "course", "program")
                         if row[name + "_id"] is not None)
        details = json.dumps(event.details, sort_keys=True) if event.details else ""
        click.echo("  ".join(part for part in (row["at"], event.action, repr(event.target), who,
                                                where, event.ip or "", details) if part))


@security_cli.command("purge")
def purge_command():
    """Delete ended rate-limit windows (run it from cron or the timer, e.g. hourly)."""
    removed = ratelimit.purge_expired()
    db.session.commit()
    click.echo(f"Deleted {removed} ended rate-limit windows.")
