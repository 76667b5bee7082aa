"""Names and Role Provisioning: bearer-token scope, Moodle-shaped members with short role
names, and paging with `limit`/`from` or `page` behind a well-formed `Link` header."""

import pytest

from tests.support.lms import AGS, NRPS_SCOPE, SANDBOX_URL, bearer

URL = "/sandbox/api/CourseSection/2/bindings/1/memberships"
PUBLIC_URL = SANDBOX_URL + "/api/CourseSection/2/bindings/1/memberships"
MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def get(client, token, query=""):
    return client.get(URL + query, headers=bearer(token, Accept=MEDIA_TYPE))


def test_members_like_moodle(client, access_token):
    response = get(client, access_token(NRPS_SCOPE))
    assert response.status_code == 200
    assert response.mimetype == MEDIA_TYPE
    body = response.json
    assert body["id"] == PUBLIC_URL
    assert body["context"] == {"id": "2", "label": "MENTOR101", "title": "Mentoring Program 101"}
    assert [m["user_id"] for m in body["members"]] == ["3", "4", "5", "6", "7", "8", "9", "10"]
    learner = next(m for m in body["members"] if m["user_id"] == "6")
    assert learner == {"status": "Active", "roles": ["Learner"], "user_id": "6",
                       "name": "Lena Learner", "given_name": "Lena", "family_name": "Learner",
                       "email": "student1@example.com", "ext_user_username": "student1",
                       "lis_person_sourcedid": ""}
    roles = {m["user_id"]: m["roles"] for m in body["members"]}
    assert roles["3"] == ["Instructor"] and roles["4"] == ["Mentor"]
    assert roles["10"] == ["TeachingAssistant"]
    assert "Link" not in response.headers


def test_no_token_is_401(client, sandbox):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token_is_401(client, sandbox):
    assert get(client, "not-a-jwt").status_code == 401


def test_token_without_the_nrps_scope_is_403(client, access_token):
    response = get(client, access_token(AGS + "score"))
    assert response.status_code == 403
    assert response.json["error"] == "insufficient_scope"


def test_another_tool_type_is_refused(client, access_token):
    token = access_token(NRPS_SCOPE)
    response = client.get("/sandbox/api/CourseSection/2/bindings/99/memberships",
                          headers=bearer(token))
    assert response.status_code == 403


def test_unknown_course_is_404(client, access_token):
    response = client.get("/sandbox/api/CourseSection/77/bindings/1/memberships",
                          headers=bearer(access_token(NRPS_SCOPE)))
    assert response.status_code == 404


def test_paging_with_limit_and_from_follows_quoted_next_links(client, access_token):
    token = access_token(NRPS_SCOPE)
    seen, query, links = [], "?limit=3", []
    while query is not None:
        response = get(client, token, query)
        assert response.status_code == 200
        seen += [m["user_id"] for m in response.json["members"]]
        link = response.headers.get("Link")
        links.append(link)
        query = None
        if link:
            assert link.endswith('>; rel="next"') and link.startswith(f"<{PUBLIC_URL}?")
            query = "?" + link[1:link.index(">")].split("?", 1)[1]
    assert seen == ["3", "4", "5", "6", "7", "8", "9", "10"]
    assert links[0] == f'<{PUBLIC_URL}?limit=3&from=3>; rel="next"'
    assert links[-1] is None and len(links) == 3


def test_paging_with_page(client, access_token):
    response = get(client, access_token(NRPS_SCOPE), "?limit=5&page=2")
    assert [m["user_id"] for m in response.json["members"]] == ["8", "9", "10"]
    assert "Link" not in response.headers
    first = get(client, access_token(NRPS_SCOPE), "?limit=5&page=1")
    assert first.headers["Link"].endswith('?limit=5&page=2>; rel="next"')


def test_next_link_keeps_other_query_parameters(client, access_token):
    response = get(client, access_token(NRPS_SCOPE), "?type_id=1&role=Learner&limit=2")
    assert [m["user_id"] for m in response.json["members"]] == ["6", "7"]
    url = response.headers["Link"][1:response.headers["Link"].index(">")]
    assert url == f"{PUBLIC_URL}?type_id=1&role=Learner&limit=2&from=2"


@pytest.mark.parametrize("query", ["?limit=ten", "?limit=0", "?limit=2&from=-1",
                                   "?limit=2&page=x", "?page=2"])
def test_junk_paging_is_400(client, access_token, query):
    response = get(client, access_token(NRPS_SCOPE), query)
    assert response.status_code == 400
    assert "error" in response.json


@pytest.mark.parametrize(("role", "expected"), [
    ("Instructor", ["3", "10"]),
    ("http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor", ["4", "5"]),
    ("Learner", ["6", "7", "8", "9"]),
])
def test_role_filter(client, access_token, role, expected):
    from urllib.parse import quote

    response = get(client, access_token(NRPS_SCOPE), "?role=" + quote(role, safe=""))
    assert [m["user_id"] for m in response.json["members"]] == expected


def test_rlid_of_an_unknown_link_is_403(client, access_token, activity):
    token = access_token(NRPS_SCOPE)
    assert get(client, token, f"?rlid={activity.id}").status_code == 200
    assert get(client, token, "?rlid=999").status_code == 403
