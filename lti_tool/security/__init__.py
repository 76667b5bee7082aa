"""Production hardening: security headers (CSP, HSTS), rate limits stored in the database on
the endpoints anyone may call, input bounds (ids in URLs, NUL characters), and the audit log of
staff actions (`audit.record`). The outbound request policy lives with the requests it governs
(lti_tool/lti/outbound.py); a mistyped one stops the start here.

`init_app` wires them into the app; `create_app` calls it."""

import logging

from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from lti_tool.lti import outbound
    from lti_tool.security import headers, inputs, models, ratelimit  # noqa: F401 - models: tables
    from lti_tool.security.commands import security_cli

    outbound.OutboundPolicy.from_config(app.config)  # a mistyped policy stops the start
    inputs.init_app(app)
    headers.init_app(app)
    ratelimit.init_app(app)
    app.cli.add_command(security_cli)
    _check_production(app)


def _check_production(app: Flask) -> None:
    if app.config["ENV_NAME"] != "production":
        return
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Rate limits, sessions and launch state are shared through the database by every
        # worker: SQLite serialises writers and is not reachable from a second machine.
        log.warning("production runs on %s: use PostgreSQL (PAIRWISE_DATABASE_URL="
                    "postgresql+psycopg://...)",
                    app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0])
    if not app.config["PROXY_COUNT"]:
        log.warning("production with PROXY_COUNT=0: client addresses (rate limits, audit) "
                    "are the proxy's unless the app faces the Internet directly")
