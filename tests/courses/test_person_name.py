"""The name a person goes by on every page: the LMS's full name, else what it gave in
parts, else the username, else the LMS's id."""

import pytest

from lti_tool.courses.models import Person

CASES = [
    (dict(name="Lena Learner", given_name="L", family_name="X"), "Lena Learner"),
    (dict(given_name="Lena", family_name="Learner"), "Lena Learner"),
    (dict(given_name="Lena"), "Lena"),
    (dict(family_name="Learner"), "Learner"),
    (dict(username="lena"), "lena"),
    (dict(), "User 42"),
]


@pytest.mark.parametrize(("fields", "shown"), CASES)
def test_display_name(fields, shown):
    person = Person(subject="42", **{"name": "", "given_name": "", "family_name": "",
                                     "username": "", **fields})
    assert person.display_name == shown
