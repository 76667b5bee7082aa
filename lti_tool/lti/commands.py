"""`flask --app wsgi lti ...`: register platforms, print the tool's configuration, rotate keys."""

import json

import click
from flask import current_app
from flask.cli import AppGroup

from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.context import SUBSTITUTIONS
from lti_tool.lti.registrations import (
    PlatformDetails,
    RegistrationError,
    all_platforms,
    register_platform,
    remove_platform,
    tool_urls,
)
from lti_tool.security import audit

lti_cli = AppGroup("lti", help="LTI registrations, tool configuration and keys.")


def _request_context():
    """url_for needs a request; build one on the configured public URL."""
    return current_app.test_request_context(base_url=current_app.config.get("BASE_URL") or None)


@lti_cli.command("add-platform")
@click.option("--issuer", required=True, help="Platform ID (Moodle: its wwwroot).")
@click.option("--client-id", required=True)
@click.option("--auth-login-url", required=True, help="OIDC authentication request URL.")
@click.option("--token-url", required=True, help="OAuth2 access token URL.")
@click.option("--jwks-url", required=True, help="The platform's public keyset URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True)
@click.option("--audience", default=None, help="Token audience, if not the token URL.")
@click.option("--name", default="")
def add_platform(issuer, client_id, auth_login_url, token_url, jwks_url, deployment_ids,
                 audience, name):
    """Register a platform (or add deployments to an existing registration)."""
    details = PlatformDetails(
        issuer=issuer.rstrip("/"), client_id=client_id, auth_login_url=auth_login_url,
        auth_token_url=token_url, key_set_url=jwks_url, deployment_ids=deployment_ids,
        auth_audience=audience, name=name,
    )
    try:
        platform = register_platform(details)
    except RegistrationError as exc:
        raise click.UsageError(str(exc)) from exc
    db.session.commit()
    click.echo(f"Registered {platform.issuer} client {platform.client_id} "
               f"deployments {', '.join(platform.deployment_ids)}")


@lti_cli.command("list-platforms")
@click.option("--json", "as_json", is_flag=True)
def list_platforms(as_json):
    """List registered platforms."""
    rows = [
        {"issuer": p.issuer, "client_id": p.client_id, "name": p.name,
         "deployment_ids": p.deployment_ids, "auth_login_url": p.auth_login_url,
         "token_url": p.auth_token_url, "jwks_url": p.key_set_url,
         "registered_via": p.registered_via}
        for p in all_platforms()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No platforms registered.")
    for row in rows:
        click.echo(f"{row['issuer']}  client={row['client_id']}  "
                   f"deployments={','.join(row['deployment_ids'])}  ({row['registered_via']})")


@lti_cli.command("remove-platform")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
def remove_platform_command(issuer, client_id):
    """Remove a registration and everything recorded under it."""
    if not remove_platform(issuer.rstrip("/"), client_id):
        raise click.ClickException(f"No registration for {issuer} client {client_id}.")
    db.session.commit()
    click.echo(f"Removed {issuer} client {client_id}")


@lti_cli.command("tool-config")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable, for scripted installs.")
def tool_config(as_json):
    """Print the URLs and keys an LMS admin enters when configuring the tool manually."""
    keys.ensure_key()
    with _request_context():
        urls = tool_urls()
    config = {**urls, "custom_parameters": SUBSTITUTIONS, "jwks": keys.jwks()}
    if as_json:
        click.echo(json.dumps(config, indent=2))
        return
    for name, url in urls.items():
        click.echo(f"{name:18} {url}")
    click.echo("custom parameters  " + " ".join(f"{k}={v}" for k, v in SUBSTITUTIONS.items()))
    click.echo("public keyset      " + json.dumps(config["jwks"]))


@lti_cli.command("rotate-keys")
def rotate_keys():
    """Add a new signing key; the old one stays published for the grace period."""
    key = keys.rotate()
    audit.record("lti.key_rotated", target=f"signing key {key.kid}", via="cli")
    db.session.commit()
    grace = current_app.config["KEY_ROTATION_GRACE_DAYS"]
    click.echo(f"New signing key {key.kid}; previous keys stay in the JWKS for {grace} days.")


@lti_cli.command("purge-expired")
def purge_expired():
    """Delete expired launch state, nonces and sessions (run it from cron, e.g. hourly)."""
    from lti_tool.lti.storage import purge_expired as purge_launch_data
    from lti_tool.web.sessions import purge_expired as purge_sessions

    launch_rows, sessions = purge_launch_data(), purge_sessions()
    db.session.commit()
    click.echo(f"Deleted {launch_rows} expired launch records and {sessions} sessions.")


@lti_cli.command("ensure-key")
def ensure_key():
    """Generate the tool's first key pair if there is none (idempotent)."""
    click.echo(f"Signing key {keys.ensure_key().kid}")
