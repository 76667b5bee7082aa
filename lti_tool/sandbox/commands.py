"""`flask --app wsgi sandbox ...`: prepare the sandbox LMS and show how to use it."""

import time
from zoneinfo import available_timezones

import click
from flask import current_app
from flask.cli import AppGroup

from lti_tool.sandbox import platform
from lti_tool.sandbox.seed import SeedError, SeedOptions, seed_cohort
from lti_tool.sandbox.setup import setup_sandbox

sandbox_cli = AppGroup("sandbox", help="The sandbox LMS (development and tests only).")


@sandbox_cli.command("setup")
@click.option("--tool-url", default=None,
              help="The tool's base URL (default: BASE_URL, e.g. http://127.0.0.1:5000).")
def setup(tool_url: str | None) -> None:
    """Create the demo course and register the sandbox and the tool with each other."""
    tool_url = tool_url or current_app.config.get("BASE_URL")
    if not tool_url:
        raise click.UsageError("Give --tool-url or set BASE_URL.")
    result = setup_sandbox(tool_url)
    click.echo(f"Sandbox LMS ready: {platform.url('/')}")
    click.echo(f"  issuer         {platform.sandbox_url()}")
    click.echo(f"  client_id      {result.tool.client_id}")
    click.echo(f"  deployment_id  {result.tool.deployment_id}")
    click.echo(f"  tool login     {result.tool.login_url}")
    click.echo(f"  course         {result.course.label} ({len(result.course.memberships)} people)")


@sandbox_cli.command("seed")
@click.option("--learners", type=click.IntRange(1, 5000), default=500, show_default=True)
@click.option("--mentors", type=click.IntRange(1, 2000), default=120, show_default=True)
@click.option("--zones", default="Europe/Berlin,America/New_York,Asia/Tokyo", show_default=True,
              help="Comma-separated IANA time zones the people live in.")
@click.option("--weeks", type=click.IntRange(1, 52), default=8, show_default=True,
              help="How many weeks of activity the semester has had so far.")
@click.option("--seed", "seed_value", type=int, default=1, show_default=True,
              help="The same seed makes the same cohort.")
def seed(learners: int, mentors: int, zones: str, weeks: int, seed_value: int) -> None:
    """Add a program with a matched cohort and a semester of activity to the sandbox course
    (after `setup`; once: refuses a sandbox that was seeded already)."""
    names = [zone.strip() for zone in zones.split(",") if zone.strip()]
    unknown = [zone for zone in names if zone not in available_timezones()]
    if unknown:
        raise click.UsageError(f"Unknown time zone(s): {', '.join(unknown)}")
    started = time.perf_counter()
    try:
        result = seed_cohort(SeedOptions(learners, mentors, tuple(names), weeks, seed_value))
    except SeedError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Seeded program {result.program_id} (activity {result.activity_id}) in "
               f"{time.perf_counter() - started:.1f} s:")
    for name, count in result.counts.items():
        click.echo(f"  {name:<13}{count}")
    click.echo(f"Launch as staff from {platform.url('/')} (Iris) to see it.")
