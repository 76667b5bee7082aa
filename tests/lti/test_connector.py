"""The service connector against a platform double over HTTP: one access token per
registration and scope set, reused across calls and workers, renewed on 401; paging that
follows quoted, unquoted and Moodle-mangled `rel=next` links."""

import logging

import jwt
import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Course, Enrolment, Person, Role
from lti_tool.courses.roster import sync_roster
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.advantage import connector_for
from lti_tool.lti.models import AccessToken, Platform
from lti_tool.lti.registrations import find_platform

NRPS = ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]


def member(user_id, role="Learner", status="Active"):
    return {"status": status, "roles": [role], "user_id": str(user_id), "name": f"User {user_id}",
            "given_name": "User", "family_name": str(user_id), "email": f"u{user_id}@example.edu",
            "ext_user_username": f"user{user_id}", "lis_person_sourcedid": ""}


def test_tokens_are_cached_per_registration_and_scope_set(app, platform):
    with app.app_context():
        platform.register(client_id="second-client")
        first, second = db.session.scalars(sa.select(Platform).order_by(Platform.id)).all()
        assert first.issuer == second.issuer

        token_a = connector_for(first).get_access_token(NRPS)
        assert connector_for(first).get_access_token(NRPS) == token_a  # cached, a new object
        token_b = connector_for(second).get_access_token(NRPS)
        assert token_b != token_a  # same issuer, another client: never the same token
        token_c = connector_for(first).get_access_token([*NRPS, "other-scope"])
        assert token_c not in (token_a, token_b)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessToken)) == 3
    assert len(platform.token_requests) == 3


def test_client_assertion_is_signed_with_the_tool_key(app, platform):
    with app.app_context():
        connector_for(find_platform(platform.issuer, platform.client_id)).get_access_token(NRPS)
        request = platform.token_requests[0]
        assert request["grant_type"] == "client_credentials"
        assertion = request["client_assertion"]
        header = jwt.get_unverified_header(assertion)
        key = keys.signing_key()
        assert header["kid"] == key.kid
        claims = jwt.decode(assertion, key.public_pem, algorithms=["RS256"],
                            audience=platform.base_url + "/token")
        assert claims["iss"] == claims["sub"] == platform.client_id


def _course(platform_row, nrps_url):
    course = Course(platform_id=platform_row.id, context_id="2", title="T", nrps_url=nrps_url)
    db.session.add(course)
    db.session.flush()
    return course


@pytest.mark.parametrize("link_style", ['rel="next"', "rel=next", "rel=“next”"])
def test_roster_paging_follows_every_next_link_form(app, platform, link_style):
    platform.members = [member(i) for i in range(2, 7)] + [member(9, "Instructor"),
                                                          member(10, "Mentor")]
    platform.link_style = link_style
    with app.app_context():
        course = _course(find_platform(platform.issuer, platform.client_id),
                         platform.base_url + "/members?type_id=1")
        result = sync_roster(course)
        db.session.commit()
        assert result.members == 7 and result.added == 7
        roles = {e.person.subject: e.role for e in db.session.scalars(sa.select(Enrolment))}
        assert (roles["9"], roles["10"], roles["2"]) == (Role.STAFF, Role.MENTOR, Role.LEARNER)
    assert len(platform.token_requests) == 1  # one token served all four pages


def test_roster_marks_people_who_left(app, platform):
    platform.members = [member(2), member(3)]
    with app.app_context():
        course = _course(find_platform(platform.issuer, platform.client_id),
                         platform.base_url + "/members")
        sync_roster(course)
        platform.members = [member(2), member(4, status="Inactive")]
        result = sync_roster(course)
        db.session.commit()
        active = {e.person.subject: e.active for e in db.session.scalars(sa.select(Enrolment))}
        assert active == {"2": True, "3": False, "4": False}
        assert result.deactivated == 1


def test_a_refused_token_is_replaced_once(app, platform):
    platform.members = [member(2)]
    with app.app_context():
        course = _course(find_platform(platform.issuer, platform.client_id),
                         platform.base_url + "/members")
        sync_roster(course)
        platform.refuse_tokens.add("token-1")  # the platform revoked it before it expired
        assert sync_roster(course).members == 1
    assert len(platform.token_requests) == 2


def test_roster_emails_are_checked_like_launch_claims(app, platform, caplog):
    """A member whose address is not one is still enrolled, with no address stored; the log
    names the member, not the value."""
    caplog.set_level(logging.INFO, logger="lti_tool.lti.context")
    platform.members = [{**member(2), "email": "U2@Example.COM"},
                        {**member(3), "email": "u3@example.com\r\nBcc: x@example.com"},
                        {**member(4), "email": "not-an-address"},
                        {**member(5), "email": "u5@" + "d" * 250 + ".com"}]
    with app.app_context():
        course = _course(find_platform(platform.issuer, platform.client_id),
                         platform.base_url + "/members")
        assert sync_roster(course).added == 4
        db.session.commit()
        emails = {p.subject: p.email for p in db.session.scalars(sa.select(Person))}
    assert emails == {"2": "U2@example.com", "3": "", "4": "", "5": ""}
    lines = [r.getMessage() for r in caplog.records if r.name == "lti_tool.lti.context"]
    assert len(lines) == 3 and all("user_id=" in line for line in lines)
    assert not any("example.com" in line or "not-an-address" in line for line in lines)


def test_roster_cuts_long_names_and_skips_ids_no_launch_could_have(app, platform):
    """PostgreSQL refuses text longer than its column: what a launch cuts, a roster cuts."""
    platform.members = [{**member(2), "name": "N" * 300, "ext_user_username": "u" * 300},
                        member("9" * 256)]
    with app.app_context():
        course = _course(find_platform(platform.issuer, platform.client_id),
                         platform.base_url + "/members")
        assert sync_roster(course).added == 1
        db.session.commit()
        person = db.session.scalars(sa.select(Person)).one()
        assert (person.subject, len(person.name), len(person.username)) == ("2", 255, 255)
