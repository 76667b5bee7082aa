"""`flask sandbox setup` (idempotent, registers the sandbox in the tool) and the pages a
person sees: the course page with its launch buttons and iframe, the gradebook, returns."""

from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from lti_tool.sandbox import lms, platform
from lti_tool.sandbox.models import Membership, PlatformKey, ToolRegistration
from lti_tool.sandbox.setup import setup_sandbox
from tests.support.lms import SANDBOX_URL, TOOL_URL


def test_setup_command_is_idempotent_and_registers_the_sandbox_in_the_tool(app, runner):
    first = runner.invoke(args=["sandbox", "setup"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["sandbox", "setup"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        [tool] = db.session.scalars(db.select(ToolRegistration)).all()
        assert len(tool.client_id) == 15 and tool.client_id.isalnum()
        assert tool.deployment_id == "1" and tool.login_url == TOOL_URL + "/lti/login"
        assert tool.jwks_url == TOOL_URL + "/lti/jwks"
        assert f"client_id      {tool.client_id}" in second.output
        [registered] = db.session.scalars(db.select(Platform)).all()
        assert registered.issuer == SANDBOX_URL and registered.client_id == tool.client_id
        assert registered.auth_login_url == SANDBOX_URL + "/auth"
        assert registered.auth_token_url == SANDBOX_URL + "/token"
        assert registered.key_set_url == SANDBOX_URL + "/jwks"
        assert registered.deployment_ids == ["1"] and registered.product_family == "sandbox"
        assert registered.name == "Pairwise sandbox LMS"
        roles = sorted(m.role for m in db.session.scalars(db.select(Membership)))
        assert roles == sorted(["Instructor", "Mentor", "Mentor", "Learner", "Learner",
                                "Learner", "Learner", "TeachingAssistant"])
        assert len(db.session.scalars(db.select(PlatformKey)).all()) == 1


def test_setup_follows_a_new_tool_url(sandbox):
    setup_sandbox("http://127.0.0.1:6000/")
    tool = platform.current_registration()
    assert tool.launch_url == "http://127.0.0.1:6000/lti/launch"
    assert db.session.query(ToolRegistration).count() == 1


def test_demo_people(sandbox):
    names = {m.user.name: m.role for m in lms.members(lms.COURSE_ID)}
    assert names["Iris Instructor"] == "Instructor"
    assert names["Mona Mentor"] == names["Mateo Mentor"] == "Mentor"
    assert list(names.values()).count("Learner") == 4
    assert list(names.values()).count("TeachingAssistant") == 1
    course = lms.get_course("2")
    assert (course.label, course.title) == ("MENTOR101", "Mentoring Program 101")


def test_course_page(client, sandbox, activity):
    html = client.get("/sandbox/").get_data(as_text=True)
    assert "Mentoring Program 101" in html and "Mentoring circle" in html
    assert '<iframe name="tool-frame" title=' in html
    assert html.count('target="tool-frame"') == 8 + 1  # a launch per member, one deep link
    for name in ("Iris Instructor", "Mona Mentor", "Lena Learner", "Tariq Assistant"):
        assert f"Launch as {name}" in html
    assert "Add activity (deep linking) as Iris Instructor" in html
    assert "Add activity (deep linking) as Tariq" not in html
    assert 'href="/sandbox/gradebook"' in html and 'href="/sandbox/register-tool"' in html
    assert "not cross-site" not in html


def test_course_page_warns_on_the_tool_host(client, sandbox):
    html = client.get("/sandbox/", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert "not cross-site" in html


def test_course_page_before_setup(client):
    html = client.get("/sandbox/").get_data(as_text=True)
    assert "flask --app wsgi sandbox setup" in html


def test_launch_page_errors_are_shown(client, sandbox):
    response = client.get("/sandbox/launch?user=6&deep_linking=1")
    assert response.status_code == 403
    assert "Only the course" in response.get_data(as_text=True)
    assert client.get("/sandbox/launch?user=6&activity=404").status_code == 404


def test_return_page_shows_the_tools_message_escaped(client, sandbox):
    html = client.get("/sandbox/return?course=2&lti_msg=%3Cb%3Ebye%3C/b%3E").get_data(
        as_text=True)
    assert "&lt;b&gt;bye&lt;/b&gt;" in html and 'target="_top"' in html


def test_sandbox_posts_need_no_csrf_token(app, sandbox):
    # The tool's forms need one (CSRFProtect); the sandbox is another site.
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    assert client.post("/sandbox/token", data={}).status_code == 401
    assert client.post("/sandbox/deep-link-return", data={}).status_code == 400
