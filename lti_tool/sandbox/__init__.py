"""The sandbox LMS: a small but real LTI 1.3 platform (on lti1p3platform) served by this app
under `/sandbox`, on another host name than the tool, for development and tests.

`init_app` registers the blueprint and the `flask sandbox` commands; `lti_tool.create_app`
calls it only when `SANDBOX_ENABLED` is set. Everything the sandbox gives out is built from
`SANDBOX_URL`, which is also its issuer.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from lti_tool.extensions import csrf
    from lti_tool.sandbox import models  # noqa: F401 - the tables must exist for create_all
    from lti_tool.sandbox.commands import sandbox_cli
    from lti_tool.sandbox.views import blueprint

    # Cross-site form posts (launch, deep-linking return) and service calls carry no CSRF
    # token: the sandbox is another site, with its own checks (signed JWTs, bearer tokens).
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
    app.cli.add_command(sandbox_cli)
