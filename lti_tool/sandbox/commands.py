"""`flask --app wsgi sandbox ...`: prepare the sandbox LMS and show how to use it."""

import click
from flask import current_app
from flask.cli import AppGroup

from lti_tool.sandbox import platform
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
