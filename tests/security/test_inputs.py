"""Input bounds: ids beyond the database's integers are 404s, NUL characters are 400s, before
any view (or the database driver) sees them."""

import pytest

from tests.platform_double import launch


@pytest.mark.parametrize("path", ["/pairs/2147483648/meetings", "/guides/9223372036854775808",
                                  "/meetings/100000000000000000000/meeting.ics"])
def test_ids_beyond_the_database_integers_are_not_found(client, platform, path):
    launch(client, platform)
    assert client.get(path).status_code == 404


def test_the_largest_id_is_an_ordinary_missing_page(client, platform):
    launch(client, platform)
    assert client.get("/guides/2147483647").status_code == 404


@pytest.mark.parametrize("request_kwargs", [
    {"path": "/calendar/%00.ics"},
    {"path": "/lti/login", "query_string": {"iss": "a\x00b"}},
    {"path": "/lti/login", "query_string": {"x\x00": "1"}},
    {"path": "/lti/launch", "method": "POST", "data": {"id_token": "\x00", "state": "s"}},
    {"path": "/lti/launch", "method": "POST", "data": b"state=%00",
     "content_type": "application/x-www-form-urlencoded"},
    {"path": "/sandbox/api/1/lineitems", "method": "POST", "json": {"label": ["a\x00"]}},
])
def test_nul_characters_are_refused(client, request_kwargs):
    response = client.open(**request_kwargs)
    assert response.status_code == 400
    assert b"NUL" in response.data


def test_ordinary_requests_pass(client, platform):
    assert launch(client, platform).status_code == 303
    assert client.post("/sandbox/api/1/lineitems", json={"label": "a"}).status_code != 400
