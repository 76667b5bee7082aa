"""Pure pieces: LIS role mapping, lenient Link headers, claims to a typed launch."""

import pytest

from lti_tool.courses.models import Role
from lti_tool.lti.context import LaunchContext, email_address
from lti_tool.lti.links import next_page_url
from lti_tool.lti.roles import normalise, pairwise_role
from tests.support.platform import moodle_fixture

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


@pytest.mark.parametrize("roles, expected", [
    ([M + "Learner"], Role.LEARNER),
    (["Learner"], Role.LEARNER),  # NRPS short name (Moodle)
    ([M + "Instructor"], Role.STAFF),
    (["Instructor"], Role.STAFF),
    ([M + "ContentDeveloper"], Role.STAFF),
    ([M + "Administrator"], Role.STAFF),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
     Role.STAFF),
    (["TeachingAssistant"], Role.STAFF),
    ([M + "Mentor"], Role.MENTOR),
    (["Mentor", "Learner"], Role.MENTOR),
    ([M + "Learner", M + "Instructor"], Role.STAFF),
    # Canvas-style: an institution Instructor who is a Learner in this course is a learner.
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor", M + "Learner"],
     Role.LEARNER),
    # A Moodle site admin with no course role.
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
      "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], Role.STAFF),
    ([M + "Observer"], None),
    ([], None),
])
def test_pairwise_role(roles, expected):
    assert pairwise_role(roles) == expected


def test_normalise_kinds():
    assert normalise(M + "Learner") == ("Learner", "context")
    assert normalise("http://purl.imsglobal.org/vocab/lis/v2/system/person#User") == (
        "User", "system")
    assert normalise("urn:lti:role:ims/lis/Instructor") == ("Instructor", "context")


@pytest.mark.parametrize("header, expected", [
    ('<https://lms/a?page=2>; rel="next"', "https://lms/a?page=2"),
    ("<https://lms/a?page=2>; rel=next", "https://lms/a?page=2"),  # RFC 8288 token form
    ('<https://lms/a?page=1>; rel="prev", <https://lms/a?page=3>; rel="next"',
     "https://lms/a?page=3"),
    ('<https://lms/a?page=3>; rel="last next"', "https://lms/a?page=3"),
    # Moodle's line-item container: HTML-escaped URL, typographic quotes.
    ("<http://m/mod/lti/services.php/2/lineitems?type_id=1&amp;limit=2&amp;page=2>; rel=“next”",
     "http://m/mod/lti/services.php/2/lineitems?type_id=1&limit=2&page=2"),
    ('<https://lms/a?page=1>; rel="prev"', None),
    ("", None),
    (None, None),
    ("garbage", None),
])
def test_next_page_url(header, expected):
    assert next_page_url(header) == expected


def test_context_from_moodle_launch():
    ctx = LaunchContext.from_claims(moodle_fixture("resource-link-launch"))
    assert ctx.role == Role.LEARNER
    assert ctx.client_id == "YYPd34A1PQyFHXM" and ctx.deployment_id == "1"
    assert (ctx.context_id, ctx.context_title) == ("2", "LTI Harness 101")
    assert ctx.resource_link_id == "1"
    assert ctx.username == "student1" and ctx.locale == "en"
    assert ctx.ags.lineitem_url.endswith("/lineitems/2/lineitem?type_id=1")
    assert len(ctx.ags.scopes) == 4
    assert ctx.nrps_url.endswith("/memberships")
    assert ctx.product_family == "moodle"
    assert not ctx.is_deep_linking and not ctx.embedded  # document_target "window"


def test_context_from_moodle_deep_linking_request():
    ctx = LaunchContext.from_claims(moodle_fixture("deep-linking-request"))
    assert ctx.is_deep_linking and ctx.role == Role.STAFF
    assert ctx.deep_linking.return_url.startswith("http://127.0.0.1:8080/mod/lti/contentitem")
    assert ctx.deep_linking.accept_types == ("ltiResourceLink",)
    assert ctx.deep_linking.accept_multiple is True
    assert ctx.ags.lineitem_url is None


def test_next_page_url_reads_utf8_quotes_decoded_as_latin1():
    raw = "<http://m/x?page=2>; rel=“next”".encode().decode("latin-1")
    assert next_page_url(raw) == "http://m/x?page=2"


@pytest.mark.parametrize("value, expected", [
    ("student1@example.com", "student1@example.com"),
    (" Mentor.One@Example.EDU ", "Mentor.One@example.edu"),  # the domain is case-insensitive
    ("élève@école.example.fr", "élève@école.example.fr"),  # internationalised
    ("a@" + "b" * 63 + ".example.com", "a@" + "b" * 63 + ".example.com"),
    (None, ""),
    ("", ""),
    ("   ", ""),
    ("student1", ""),
    ("student1@", ""),
    ("<student1@example.com>", ""),
    ("student1@example.com\x00", ""),
    ("stu\u200bdent1@example.com", ""),  # a zero-width space: a format character
    ("x" * 245 + "@example.com", ""),  # 257 characters
    (12, ""),
])
def test_email_addresses_from_a_platform(value, expected):
    assert email_address(value, "platform='p' sub='1'") == expected
