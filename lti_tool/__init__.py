"""Pairwise: an LTI 1.3 mentorship tool. `create_app` reads like the table of contents."""

import logging
import secrets
from pathlib import Path

from flask import Flask

import config

ROOT = Path(__file__).resolve().parent.parent
KNOWN_DEFAULT_SECRETS = {None, "", "testing-secret-key", "dev", "change-me"}


def create_app(test_config: dict | None = None, env: str | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load(app, env, test_config)
    configure_instance(app)
    configure_proxy(app)
    configure_logger(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_security(app)
    register_hooks(app)
    return app


def configure_instance(app: Flask) -> None:
    """Resolve the SQLite path and the secret key; refuse unsafe production settings."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        raise RuntimeError("PAIRWISE_DATABASE_URL is required in production.")
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        relative = uri.removeprefix("sqlite:///")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / relative}"
    production = app.config["ENV_NAME"] == "production"
    if app.config.get("SECRET_KEY") in KNOWN_DEFAULT_SECRETS:
        if production:
            raise RuntimeError("Set PAIRWISE_SECRET_KEY: production refuses a default secret.")
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    if production and not app.config.get("ADMIN_TOKEN"):
        raise RuntimeError("Set PAIRWISE_ADMIN_TOKEN to protect the admin pages.")
    if production and app.config.get("SANDBOX_ENABLED"):
        raise RuntimeError("The sandbox LMS is for development and tests only.")


def _instance_secret(path: Path) -> str:
    """A random development secret kept in the instance folder, stable across restarts."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def configure_proxy(app: Flask) -> None:
    count = app.config["PROXY_COUNT"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to wrap its WSGI app, which its types declare a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def configure_logger(app: Flask) -> None:
    app.logger.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("lti_tool").setLevel(app.config["LOG_LEVEL"])
    from lti_tool.security import redaction

    # The development server's request log, and the app's own lines (defence in depth): no
    # session token (`?pw=...`) in any of them. gunicorn's: deploy/gunicorn.conf.py.
    redaction.install(logging.getLogger("werkzeug"), app.logger, logging.getLogger())


def register_extensions(app: Flask) -> None:
    from lti_tool.extensions import csrf, db, migrate
    from lti_tool.web.sessions import DatabaseSessionInterface

    _gate_sqlite_writers(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "lti_tool" / "migrations"),
                     render_as_batch=True, include_object=_not_sandbox)
    csrf.init_app(app)
    from lti_tool import i18n

    i18n.init_app(app)
    app.session_interface = DatabaseSessionInterface()
    _sqlite_pragmas(app)
    from lti_tool.courses import access
    from lti_tool.web import rows, tokens

    access.init_app(app)  # who is asking: the enrolment a launch signed in
    tokens.init_app(app)  # the session token in every link of a launched session
    rows.init_app(app)  # the links of a table's rows, built once a table


def _not_sandbox(obj, name, type_, reflected, compare_to) -> bool:
    """Migrations manage the tool's schema; the sandbox LMS creates its own tables."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return not (table is not None and table.name.startswith("sandbox_"))


def _gate_sqlite_writers(app: Flask) -> None:
    """A file database's writers take turns without SQLite's busy-wait (sqlite_writes.py)."""
    from sqlalchemy.engine import make_url

    from lti_tool.sqlite_writes import connection_factory

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or \
            url.database.startswith("file:"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["connect_args"] = {**options.get("connect_args", {}),
                               "factory": connection_factory(url.database)}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _sqlite_pragmas(app: Flask) -> None:
    """WAL and a busy timeout let the tool and the sandbox (one process) share SQLite. With
    WAL, synchronous=NORMAL (SQLite's advice) syncs at checkpoints, not at every commit: a
    crash of the app loses nothing, a power cut only the last commits; a launch commits
    twice and spent 1.5 of its 13 ms waiting for the disk."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    from lti_tool.extensions import db

    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


def register_blueprints(app: Flask) -> None:
    from lti_tool.admin.views import blueprint as admin
    from lti_tool.courses.views import blueprint as courses
    from lti_tool.grades.views import blueprint as grades
    from lti_tool.guides.views import blueprint as guides
    from lti_tool.health import blueprint as health
    from lti_tool.homes.views import blueprint as homes
    from lti_tool.intake.views import blueprint as intake
    from lti_tool.journal.views import blueprint as journal
    from lti_tool.launches.landing import blueprint as landing  # /go: e-mail links via the LMS
    from lti_tool.launches.views import blueprint as lti
    from lti_tool.meetings.views import blueprint as meetings
    from lti_tool.notify.views import blueprint as notify
    from lti_tool.pairs.views import blueprint as pairs
    from lti_tool.privacy.views import blueprint as privacy
    from lti_tool.relationships.views import blueprint as relationships
    from lti_tool.surveys.views import blueprint as surveys
    from lti_tool.web.views import blueprint as web
    from lti_tool.workspace.views import blueprint as workspace

    for blueprint in (lti, homes, courses, admin, health, intake, pairs,
                      meetings, guides, journal, workspace, surveys, relationships, grades,
                      privacy, web, landing, notify):
        app.register_blueprint(blueprint)
    if app.config["SANDBOX_ENABLED"]:
        from lti_tool import sandbox

        sandbox.init_app(app)


def register_hooks(app: Flask) -> None:
    """A pair's meetings end with it; participation scores and stored pair health follow
    activity within its transaction (lti_tool/pairs/touched.py). Meetings first: the others
    then see what ending the meetings wrote."""
    from lti_tool.grades import hooks as grades_hooks
    from lti_tool.meetings import hooks as meetings_hooks
    from lti_tool.relationships import hooks as health_hooks

    meetings_hooks.init_app(app)
    grades_hooks.init_app(app)
    health_hooks.init_app(app)


def register_security(app: Flask) -> None:
    """Security headers, rate limits, the audit log's commands (lti_tool/security)."""
    from lti_tool import security

    security.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from lti_tool.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from lti_tool.admin.commands import lti_cli
    from lti_tool.notify.commands import notify_cli
    from lti_tool.relationships.commands import relationships_cli

    app.cli.add_command(lti_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(relationships_cli)
    from lti_tool.grades.commands import grades_cli

    app.cli.add_command(grades_cli)
    from lti_tool.privacy.commands import privacy_cli

    app.cli.add_command(privacy_cli)
    from lti_tool.homes.commands import program_cli  # `program sweep`: reminders, digests

    app.cli.add_command(program_cli)
