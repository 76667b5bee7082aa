"""For the role tests: launches whose NRPS claim points at the platform double's membership
service, Moodle-shaped roster members, a staff roster sync over HTTP, and each person's role."""

import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Person
from lti_tool.extensions import db
from tests.support.clients import Participant
from tests.support.platform import PlatformDouble

NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


def launched(app, platform: PlatformDouble, sub: str, role: str, name: str) -> Participant:
    """A real signed launch whose course's roster is the double's `/members`."""
    nrps = {NRPS_CLAIM: {"context_memberships_url": platform.base_url + "/members",
                         "service_versions": ["1.0", "2.0"]}}
    return Participant(app, platform, sub, role, name, launch=True, **nrps)


def member(user_id: str, role: str = "Learner", name: str = "") -> dict:
    """A member as Moodle's NRPS lists one: short role names."""
    given, _, family = (name or f"User {user_id}").partition(" ")
    return {"status": "Active", "roles": [role], "user_id": user_id,
            "name": f"{given} {family}", "given_name": given, "family_name": family,
            "email": f"u{user_id}@example.edu", "ext_user_username": f"user{user_id}",
            "lis_person_sourcedid": ""}


def sync(staff: Participant) -> None:
    """Staff press "Sync with the platform" on the roster page."""
    response = staff.post("/roster/sync", page="/roster")
    assert response.status_code == 303


def roles(app) -> dict[str, tuple[str, bool]]:
    """{subject: (Pairwise role, active)} of every enrolment."""
    with app.app_context():
        rows = db.session.execute(sa.select(Person.subject, Enrolment.role, Enrolment.active)
                                  .join(Enrolment, Enrolment.person_id == Person.id)).all()
        return {subject: (role.value, active) for subject, role, active in rows}
