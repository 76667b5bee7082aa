"""Paging and Link headers (pure functions): the lti1p3platform bugs fixed in `paging`."""

import pytest

from lti_tool.sandbox import paging

BASE = "http://localhost:5000/sandbox/api/2/lineitems?type_id=1"


@pytest.mark.parametrize(("args", "expected"), [
    ({}, paging.Paging()),
    ({"limit": "2"}, paging.Paging(2, 0)),
    ({"limit": "2", "from": "4"}, paging.Paging(2, 4)),
    ({"limit": "3", "page": "2"}, paging.Paging(3, 3, by_page=True)),
    ({"from": "4"}, paging.Paging()),  # Moodle ignores `from` without `limit`
    ({"page": "1"}, paging.Paging()),
])
def test_parse_reads_numbers(args, expected):
    assert paging.parse(args) == expected


@pytest.mark.parametrize("args", [
    {"limit": "ten"}, {"limit": "0"}, {"limit": "-1"}, {"limit": "2.5"}, {"page": "0",
                                                                          "limit": "2"},
    {"from": "x", "limit": "2"}, {"limit": "2", "page": "2", "from": "2"}, {"page": "2"},
    {"limit": "99999999999"},
])
def test_parse_refuses_junk(args):
    with pytest.raises(paging.PagingError):
        paging.parse(args)


def test_with_query_merges_into_an_existing_query():
    url = paging.with_query(BASE, {"limit": "2", "page": "2", "from": None})
    assert url == "http://localhost:5000/sandbox/api/2/lineitems?type_id=1&limit=2&page=2"


def test_with_query_replaces_and_removes_parameters():
    url = paging.with_query(BASE + "&limit=2&from=2&tag=x", {"limit": "2", "from": "4"})
    assert url == BASE + "&tag=x&limit=2&from=4"
    assert paging.with_query(BASE + "&page=3", {"page": None}) == BASE


def test_cut_says_whether_more_follow():
    items = list(range(5))
    assert paging.Paging(2, 0).cut(items) == ([0, 1], True)
    assert paging.Paging(2, 4).cut(items) == ([4], False)
    assert paging.Paging().cut(items) == (items, False)


def test_next_link_is_rfc8288_with_quoted_rel():
    link = paging.next_link(BASE + "&limit=2", paging.Paging(2, 0), has_next=True)
    assert link == f'<{BASE}&limit=2&from=2>; rel="next"'
    by_page = paging.next_link(BASE + "&limit=2&page=1", paging.Paging(2, 0, True), True)
    assert by_page == f'<{BASE}&limit=2&page=2>; rel="next"'
    assert paging.next_link(BASE, paging.Paging(2, 4), has_next=False) is None


def test_moodle_lineitems_link_is_malformed_like_moodle():
    raw = paging.moodle_lineitems_link(BASE + "&limit=2", paging.Paging(2, 2), total=5)
    text = raw.encode("latin-1").decode("utf-8")  # the UTF-8 bytes PHP sends
    assert "&amp;" in text and "&limit" not in text
    assert f"<{BASE}&amp;limit=2&amp;from=4>; rel=“next”" in text
    assert "rel=“first”" in text and "rel=“prev”" in text and "rel=“last”" in text
    assert 'rel="next"' not in text


def test_moodle_lineitems_link_on_the_last_page_has_no_next():
    raw = paging.moodle_lineitems_link(BASE + "&limit=2", paging.Paging(2, 4), total=5)
    assert "“next”" not in raw.encode("latin-1").decode("utf-8")
    assert paging.moodle_lineitems_link(BASE, paging.Paging(), total=5) is None
