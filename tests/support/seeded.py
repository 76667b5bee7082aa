"""A cohort `flask sandbox seed` made, for tests of the generator and of pages at size:
`seeded_app` (a fresh SQLite database with the sandbox set up and seeded) and `staff_client`
(the demo teacher signed in to the seeded program, with the session a launch writes)."""

import secrets
from datetime import timedelta
from pathlib import Path

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.sandbox.seed import SeedOptions, SeedResult, seed_cohort
from lti_tool.sandbox.setup import setup_sandbox
from lti_tool.timeutil import utcnow
from lti_tool.web.sessions import TOKEN_PARAM, WebSession, make_token

TOOL_URL = "http://127.0.0.1:5000"
SANDBOX_URL = "http://localhost:5000/sandbox"


def seeded_app(folder: Path, options: SeedOptions):
    """(app, result): an app on its own SQLite file in `folder` (made if missing), seeded
    with `options`."""
    folder.mkdir(parents=True, exist_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/seeded.db",
                      "BASE_URL": TOOL_URL, "SANDBOX_URL": SANDBOX_URL}, env="testing")
    app.instance_path = str(folder)
    with app.app_context():
        db.create_all()
        setup_sandbox(TOOL_URL)
        return app, seed_cohort(options)


class StaffClient:
    """The seeded program's teacher, signed in directly (no launch: not what is tested)."""

    def __init__(self, app, seeded: SeedResult):
        self.client = app.test_client(use_cookies=False)
        with app.app_context():
            sid = secrets.token_urlsafe(32)
            now = utcnow()
            db.session.add(WebSession(id=sid, started_at=now, expires_at=now + timedelta(hours=8),
                                      data={"enrolment_id": seeded.staff_enrolment_id,
                                            "launch_id": f"direct-{sid[:12]}",
                                            "resource_link_id": seeded.resource_link_id,
                                            "deep_linking": False, "embedded": True,
                                            "locale": "en"}))
            db.session.commit()
            self.token = make_token(sid)

    def get(self, path: str):
        return self.client.get(f"{path}{'&' if '?' in path else '?'}{TOKEN_PARAM}={self.token}")
