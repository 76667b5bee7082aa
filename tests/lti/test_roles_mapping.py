"""Pure pieces of the per-platform role mapping: the highest role the LMS role names give
through a mapping, and reading and writing the admin's lines."""

import pytest

from lti_tool.lti.roles import (
    NON_EDITING_TEACHER,
    MappingError,
    Role,
    format_mapping,
    mapped_role,
    parse_mapping,
)


@pytest.mark.parametrize("names, mapping, expected", [
    ({"Instructor"}, {}, Role.STAFF),
    ({NON_EDITING_TEACHER}, {}, Role.STAFF),  # unmapped, they stay the staff Moodle says
    ({NON_EDITING_TEACHER}, {NON_EDITING_TEACHER: "mentor"}, Role.MENTOR),
    ({NON_EDITING_TEACHER, "Administrator"}, {NON_EDITING_TEACHER: "mentor"}, Role.STAFF),
    ({"Learner"}, {"Learner": "mentor"}, Role.MENTOR),
    ({"Instructor", "Learner"}, {"Instructor": "learner"}, Role.LEARNER),
    ({"Observer"}, {}, None),
    (set(), {"Instructor": "mentor"}, None),
])
def test_the_highest_mapped_role_wins(names, mapping, expected):
    assert mapped_role(names, mapping) == expected


def test_lines_are_read_in_every_spelling_and_written_back():
    text = " nonEditingTeacher → Mentor \n\nLearner=learner\nInstructor -> staff"
    mapping = parse_mapping(text)
    assert mapping == {NON_EDITING_TEACHER: "mentor", "Learner": "learner",
                       "Instructor": "staff"}
    assert parse_mapping(format_mapping(mapping)) == mapping
    assert parse_mapping("") == {} and format_mapping(None) == ""


@pytest.mark.parametrize("text", ["Teacher -> mentor", "Instructor -> admin",
                                  "Instructor", "Instructor -> mentor -> staff",
                                  "Learner -> mentor\nlearner -> learner"])
def test_unreadable_lines_name_themselves(text):
    with pytest.raises(MappingError) as error:
        parse_mapping(text)
    assert str(error.value) in text.splitlines()
