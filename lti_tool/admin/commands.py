"""`flask --app wsgi lti ...`: registration links, platforms registered by hand, the tool's
configuration, keys. Every change to a registration is in the audit log."""

import json

import click
from flask import current_app
from flask.cli import AppGroup

from lti_tool.extensions import db
from lti_tool.lti import keys, registration_links
from lti_tool.lti.context import SUBSTITUTIONS
from lti_tool.lti.registrations import (
    PlatformDetails,
    RegistrationError,
    all_platforms,
    find_platform,
    save_platform,
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
    """Register a platform, or change an existing registration's endpoints and add
    deployments to it."""
    details = PlatformDetails(
        issuer=issuer.rstrip("/"), client_id=client_id, auth_login_url=auth_login_url,
        auth_token_url=token_url, key_set_url=jwks_url, deployment_ids=deployment_ids,
        auth_audience=audience, name=name,
    )
    try:
        platform, changes = save_platform(details)
    except RegistrationError as exc:
        raise click.UsageError(str(exc)) from exc
    audit.registration_saved(platform, changes, via="cli")
    db.session.commit()
    click.echo(f"{'Registered' if changes is None else 'Updated'} {platform.issuer} client "
               f"{platform.client_id} "
               f"deployments {', '.join(platform.deployment_ids)}")


@lti_cli.command("registration-link")
@click.option("--label", default="", help="What the link is for (shown on /admin/).")
@click.option("--issuer", default=None,
              help="Only this platform (its issuer, e.g. https://moodle.example.edu) may use it.")
@click.option("--hours", type=int, default=None,
              help="How long the link works (default REGISTRATION_LINK_HOURS, 72).")
def registration_link(label, issuer, hours):
    """Make a single-use link for dynamic registration and print it (shown only now)."""
    if not current_app.config.get("BASE_URL"):
        raise click.UsageError("Set PAIRWISE_BASE_URL to the tool's public URL first: the link "
                               "is made from it.")
    with _request_context():
        try:
            issued = registration_links.issue(label=label, expected_issuer=issuer, hours=hours,
                                              created_by="cli")
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
    audit.record("registration_link.created", target=f"registration link {issued.link.id}",
                 via="cli", label=issued.link.label, expected_issuer=issued.link.expected_issuer,
                 expires_at=issued.link.expires_at.isoformat())
    db.session.commit()
    click.echo(issued.url)
    click.echo(f"Single use, valid until {issued.link.expires_at:%Y-%m-%d %H:%M} UTC"
               + (f", for {issued.link.expected_issuer} only" if issued.link.expected_issuer
                  else "") + ". Paste it into Moodle: Site administration > Plugins > Activity "
               "modules > External tool > Manage tools > Tool URL > Add LTI Advantage.", err=True)


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
    platform = find_platform(issuer.rstrip("/"), client_id)
    if platform is None:
        raise click.ClickException(f"No registration for {issuer} client {client_id}.")
    audit.record("platform.removed", platform=platform.id,
                 target=f"{platform.issuer} client {platform.client_id}", via="cli",
                 name=platform.name)
    db.session.delete(platform)
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
    """Delete expired launch state, nonces, sessions and form submission keys older than a
    day (run it from cron, e.g. hourly)."""
    from lti_tool.lti.storage import purge_expired as purge_launch_data
    from lti_tool.web.sessions import purge_expired as purge_sessions
    from lti_tool.web.submissions import purge_expired as purge_submissions

    launch_rows, sessions = purge_launch_data(), purge_sessions()
    submission_keys = purge_submissions()
    db.session.commit()
    click.echo(f"Deleted {launch_rows} expired launch records and {sessions} sessions.")
    click.echo(f"Deleted {submission_keys} form submission keys older than a day.")


@lti_cli.command("ensure-key")
def ensure_key():
    """Generate the tool's first key pair if there is none (idempotent)."""
    click.echo(f"Signing key {keys.ensure_key().kid}")
