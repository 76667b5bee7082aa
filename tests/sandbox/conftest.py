"""Fixtures for the sandbox LMS tests: a set-up sandbox (demo course, tool registration),
a fake tool's RSA key whose JWKS is served at the HTTP edge (the sandbox's `requests.get`),
bearer tokens the sandbox issued, and a graded activity. What they sign and send with is in
tests/support/lms.py."""

import pytest

from lti_tool.extensions import db
from lti_tool.sandbox import platform
from lti_tool.sandbox.setup import setup_sandbox
from tests.support.lms import (
    TOOL_JWKS_URL,
    TOOL_URL,
    FakeHttp,
    Sandbox,
    ToolKey,
    client_assertion,
    new_tool_key,
    token_request,
)


@pytest.fixture(scope="session")
def tool_key() -> ToolKey:
    return new_tool_key("tool-key-1")


@pytest.fixture(scope="session")
def other_key() -> ToolKey:
    """A key the tool does not publish (same kid: only the signature differs)."""
    return new_tool_key("tool-key-1")


@pytest.fixture(scope="session")
def _platform_private_key():
    return platform.new_private_key()


@pytest.fixture(autouse=True)
def _fast_platform_key(monkeypatch, _platform_private_key):
    """One 2048-bit platform key for the whole session (generating one per test is slow);
    each test's database still stores its own copy with its own kid."""
    monkeypatch.setattr(platform, "new_private_key", lambda: _platform_private_key)


@pytest.fixture
def sandbox(app) -> Sandbox:
    """A set-up sandbox, with an app context held for the test (for direct DB reads:
    call `db.session.rollback()` first to see what requests committed)."""
    with app.app_context():
        result = setup_sandbox(TOOL_URL)
        yield Sandbox(result.tool.client_id, result.tool.id, result.tool.deployment_id)


@pytest.fixture
def tool_http(monkeypatch, tool_key) -> FakeHttp:
    """The tool's JWKS URL answers with `tool_key`'s public key."""
    fake = FakeHttp({TOOL_JWKS_URL: tool_key.jwks})
    monkeypatch.setattr(platform, "requests", fake)
    return fake


@pytest.fixture
def access_token(client, sandbox, tool_key, tool_http):
    """`access_token(*scopes)`: a bearer token the sandbox issued to the tool."""

    def issue(*scopes: str) -> str:
        response = token_request(client, client_assertion(tool_key, sandbox.client_id),
                                 " ".join(scopes))
        assert response.status_code == 200, response.json
        return response.json["access_token"]

    return issue


@pytest.fixture
def activity(sandbox):
    """A graded activity, as a deep-linking response would have created it."""
    from lti_tool.sandbox import grades
    from lti_tool.sandbox.setup import add_activity

    created = add_activity("Mentoring circle", TOOL_URL + "/lti/launch", score_maximum=None,
                           text="Meet your mentor", custom={"pairwise_program": "prog-1"})
    grades.create_lineitem(created.course_id, created.registration,
                           {"label": "Participation", "scoreMaximum": 100,
                            "tag": "pairwise-participation", "resourceId": "prog-1"},
                           activity=created, primary=True)
    db.session.commit()
    return created
