"""lti1p3platform 0.1.8 as it is, next to the sandbox's subclasses: pins the library bugs the
adapter works around, so that an upgrade that fixes them shows which workarounds can go."""

import pytest
from lti1p3platform.request import Request
from lti1p3platform.response import generate_next_link
from lti1p3platform.service_connector import AssignmentsGradesService

from lti_tool.sandbox import paging

LINEITEMS = "http://localhost:5000/sandbox/api/2/lineitems?type_id=1"


class _Request(Request):
    def build_metadata(self, request):
        return request


class _Conf:
    def validate_token(self, *args, **kwargs):
        return True


class _LibraryGrades(AssignmentsGradesService):
    """The library's AGS handler with two pages of storage, nothing fixed."""

    def find_lineitems(self, *args, **kwargs):
        return {"content": [{"id": "1"}], "has_next": True}

    # Not called here; defined (as None) so that the abstract class can be instantiated.
    find_lineitem = create_lineitem = update_lineitem = delete_lineitem = None
    update_score = get_results = None


def _library_lineitems(query: dict):
    request = _Request({"method": "GET", "get_data": dict(query), "form_data": {},
                        "headers": {"Authorization": "Bearer x"}, "json": None,
                        "content_type": None, "path": "/"})
    return _LibraryGrades(request, _Conf(), LINEITEMS).handle_get_lineitems()


def test_library_link_header_is_unquoted():
    assert generate_next_link("http://x/y") == "<http://x/y>; rel=next"
    fixed = paging.next_link("http://x/y?limit=1", paging.Paging(1, 0), has_next=True)
    assert fixed == '<http://x/y?limit=1&from=1>; rel="next"'


def test_library_adds_one_to_the_page_string():
    with pytest.raises(TypeError):
        _library_lineitems({"type_id": "1", "limit": "1", "page": "1"})


def test_library_appends_a_second_query_to_a_url_that_has_one():
    result = _library_lineitems({"type_id": "1", "limit": 1})
    assert result.result["next"] == LINEITEMS + "?type_id=1&limit=1&page=2"  # two "?"
    fixed = paging.with_query(LINEITEMS, {"limit": "1", "page": "2"})
    assert fixed == LINEITEMS + "&limit=1&page=2"
