"""`flask --app wsgi notify ...`: send due notifications once (cron) or in a bounded loop (a
process manager restarts it), show the outbox's counts (every status, "skipped" too), and retry
the failed ones (those two commands come from `lti_tool.outbox`)."""

import click
from flask import current_app
from flask.cli import AppGroup

from lti_tool import outbox
from lti_tool.notify import services
from lti_tool.notify.mail import MailConfigError, MailSettings

notify_cli = AppGroup("notify", help="E-mail notifications: the outbox and its sender.")
outbox.add_commands(notify_cli, services.NOTIFICATIONS)  # status, retry-failed


def _check_settings() -> None:
    try:
        settings = MailSettings.from_config(current_app.config)
    except MailConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    if not settings.server:
        click.echo("MAIL_SERVER is not set: notifications are kept in the outbox, not e-mailed.",
                   err=True)


@notify_cli.command("send")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1),
              help="At most this many notifications in this run.")
def send(limit: int) -> None:
    """Send the notifications that are due (run it from cron, e.g. every minute)."""
    _check_settings()
    report = services.send_due(limit)
    click.echo(report.summary() + ".")


@notify_cli.command("worker")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to wait between batches.")
@click.option("--max-loops", default=120, show_default=True, type=click.IntRange(min=1),
              help="Batches before the worker exits (its process manager restarts it).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1),
              help="At most this many notifications per batch.")
def worker(interval: float, max_loops: int, limit: int) -> None:
    """Send due notifications in a loop of at most --max-loops batches."""
    _check_settings()

    def echo(report: services.SendReport) -> None:
        if report.attempted or report.skipped or report.waiting:
            click.echo(report.summary() + ".")

    total = services.run_worker(interval=interval, max_loops=max_loops, limit=limit,
                                on_batch=echo)
    click.echo(f"Worker done after {max_loops} batches. {total.summary()}.")
