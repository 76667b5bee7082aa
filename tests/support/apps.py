"""Apps the tests make: `make_app` builds one on the suite's database (its schema made once,
its tables emptied: tests/support/database.py), `dispose` lets its connections go, and
`LiveServer` describes one served over real HTTP."""

from collections.abc import Iterator

from lti_tool import create_app
from lti_tool.extensions import db
from tests.support import database


def make_app(database_url: str, tmp_path, env: str = "testing", **overrides):
    """An app of configuration `env` with `overrides`, on empty tables of `database_url`."""
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    app = create_app(settings, env=env)
    app.instance_path = str(tmp_path)
    with app.app_context():
        database.prepare(app)
    return app


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class LiveServer:
    """The app served over real HTTP on an ephemeral port: the tool answers on 127.0.0.1,
    the sandbox LMS on `localhost` (another site, as an LMS would be)."""

    def __init__(self, app, port):
        self.app = app
        self.port = port
        self.tool_url = f"http://127.0.0.1:{port}"
        self.sandbox_url = f"http://localhost:{port}/sandbox"


def live(server_class, database_url: str, tmp_path) -> Iterator["LiveServer"]:
    """An app on empty tables served over real HTTP by `server_class` (tests/support/
    servers.py, keepalive.py) until the generator is closed: the live-server fixtures."""
    holder = {}
    server = server_class(lambda env, start: holder["app"](env, start))
    port = server.port
    app = make_app(database_url, tmp_path, BASE_URL=f"http://127.0.0.1:{port}",
                   SANDBOX_URL=f"http://localhost:{port}/sandbox")
    holder["app"] = app
    try:
        yield LiveServer(app, port)
    finally:
        server.close()
        dispose(app)
