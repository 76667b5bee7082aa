"""`flask --app wsgi relationships sweep`: for cron, once a day (early: it also stores the
day's health of every pair for the dashboards)."""

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.relationships import services

relationships_cli = AppGroup("relationships", help="Relationship health.")


@relationships_cli.command("sweep")
def sweep():
    """Assess every pair's health for the day (dashboards open quickly after it); warn
    inactive pairs and close those still inactive after the warning, in programs that ask
    for it."""
    totals = {"warned": 0, "closed": 0}
    for program in db.session.scalars(sa.select(Program).order_by(Program.id)):
        done = services.sweep_inactive(program)
        db.session.commit()
        for key, value in done.items():
            totals[key] += value
    click.echo(f"Warned {totals['warned']} inactive pairs, closed {totals['closed']}.")
