"""row_url (web/rows.py): a table's link built once gives, for each row, exactly the URL
url_for gives."""

import pytest
from flask import url_for

from lti_tool.web.rows import row_url

CASES = [
    ("grades.person", "person_id", {}),
    ("grades.resend", "person_id", {}),
    ("relationships.nudge", "pair_id", {"kind": "checkin"}),
    ("pairs.capacity", "mentor_id", {"pw": "a.token-with_99"}),  # a query after the path
]


@pytest.mark.parametrize(("endpoint", "key", "values"), CASES)
def test_each_row_gets_what_url_for_gives(app, endpoint, key, values):
    with app.test_request_context("/"):
        link = row_url(endpoint, key, **values)
        for row_id in (1, 7, 918273645546372819, 2**40):
            assert link(row_id) == url_for(endpoint, **values, **{key: row_id})


def test_an_id_outside_the_path_is_refused(app):
    with app.test_request_context("/"), pytest.raises(ValueError, match="once in the path"):
        row_url("grades.index", "page")  # would be a query parameter


def test_a_row_id_must_be_a_number(app):
    with app.test_request_context("/"):
        link = row_url("grades.person", "person_id")
        with pytest.raises(ValueError):
            link("7/../../admin")
