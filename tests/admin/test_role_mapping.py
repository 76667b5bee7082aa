"""A platform's LMS role mapping on the admin's platform page: read back as written, checked
line by line, CSRF-protected, audited, and stored for that platform only."""

from markupsafe import escape

from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import PlatformDetails, register_platform
from tests.support.admin import audit_events, sign_in_admin
from tests.support.clients import csrf_token


def _platforms(app) -> tuple[int, int]:
    with app.app_context():
        ids = []
        for issuer in ("https://moodle.example.test", "https://other.example.test"):
            ids.append(register_platform(PlatformDetails(
                issuer=issuer, client_id="c1", auth_login_url=issuer + "/auth",
                auth_token_url=issuer + "/token", key_set_url=issuer + "/certs",
                deployment_ids=("1",), name=issuer[8:])).id)
        db.session.commit()
        return ids[0], ids[1]


def _mapping(app, platform_id: int) -> dict:
    with app.app_context():
        return db.session.get(Platform, platform_id).role_mapping


def _post(client, platform_id: int, text: str, with_csrf: bool = True):
    page = client.get(f"/admin/platforms/{platform_id}/edit")
    data = {"role_mapping": text}
    if with_csrf:
        data["csrf_token"] = csrf_token(page.data)
    return client.post(f"/admin/platforms/{platform_id}/roles", data=data)


def test_admin_maps_a_role_for_one_platform_and_it_is_audited(app, client):
    first, second = _platforms(app)
    sign_in_admin(client)
    page = client.get(f"/admin/platforms/{first}/edit")
    assert page.status_code == 200 and "NonEditingTeacher" in page.text
    saved = _post(client, first, "noneditingteacher → MENTOR\n\nLearner = learner\n")
    assert saved.status_code == 303
    assert _mapping(app, first) == {"NonEditingTeacher": "mentor", "Learner": "learner"}
    assert _mapping(app, second) == {}
    assert "NonEditingTeacher -&gt; mentor" in client.get(f"/admin/platforms/{first}/edit").text
    action, details = audit_events(app)[-1]
    assert action == "platform.roles_mapped"
    assert details["changes"] == {"role_mapping": [
        {}, {"NonEditingTeacher": "mentor", "Learner": "learner"}]}
    assert _post(client, first, "").status_code == 303  # back to the defaults
    assert _mapping(app, first) == {}
    assert len(audit_events(app)) == 2


def test_unreadable_lines_are_refused_and_named(app, client):
    first, _ = _platforms(app)
    sign_in_admin(client)
    for text, line in (("Teacher -> mentor", "Teacher -> mentor"),
                       ("Instructor -> boss", "Instructor -> boss"),
                       ("Instructor mentor", "Instructor mentor"),
                       ("Instructor -> mentor\ninstructor -> staff", "instructor -> staff"),
                       ("<b>Learner</b> -> mentor", "<b>Learner</b> -> mentor")):
        refused = _post(client, first, text)
        assert refused.status_code == 400
        assert "This line cannot be read" in refused.text and str(escape(line)) in refused.text
        assert "<b>Learner" not in refused.text
    assert _mapping(app, first) == {}
    assert audit_events(app) == []


def test_the_mapping_needs_the_admin_and_a_csrf_token(app, client):
    first, _ = _platforms(app)
    token = csrf_token(client.get("/admin/sign-in").data)
    anonymous = client.post(f"/admin/platforms/{first}/roles",
                            data={"role_mapping": "Instructor -> mentor", "csrf_token": token})
    assert anonymous.status_code == 302 and "/admin/sign-in" in anonymous.headers["Location"]
    sign_in_admin(client)
    assert _post(client, first, "Instructor -> mentor", with_csrf=False).status_code == 400
    assert _mapping(app, first) == {}
    fresh = csrf_token(client.get(f"/admin/platforms/{first}/edit").data)
    assert client.post("/admin/platforms/999/roles",
                       data={"csrf_token": fresh}).status_code == 404
