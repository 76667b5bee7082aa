"""What each role is told about how pairs are made: in a mentee-choice program nobody is told
that staff will match them, and staff see that choice mode is on."""

import pytest

from tests.support.pairing import cast

STAFF_WILL_MATCH = "staff will match you"


@pytest.fixture(params=[True, False], ids=["choice", "staff-matching"])
def people(request, app, platform):
    return request.param, cast(app, platform, mentee_choice=request.param)


def text(participant, path="/") -> str:
    return participant.get(path).get_data(as_text=True)


def test_the_learner_is_told_who_makes_the_pair(people):
    choice_mode, cast_ = people
    page = text(cast_.lena)
    if choice_mode:
        assert STAFF_WILL_MATCH not in page
        assert "In this program you choose your mentor" in page
    else:
        assert "staff will match you with a mentor" in page
        assert "you choose your mentor" not in page


def test_the_mentor_is_told_who_makes_the_pair(people):
    choice_mode, cast_ = people
    page = text(cast_.mona)
    if choice_mode:
        assert STAFF_WILL_MATCH not in page
        assert "In this program learners choose their mentor" in page
    else:
        assert "staff will match you with mentees" in page
        assert "learners choose their mentor" not in page


def test_the_staff_matching_page_says_choice_mode_is_on(people):
    choice_mode, cast_ = people
    page = text(cast_.staff, "/matching")
    assert ("Mentee choice is on: learners ask the mentor they choose" in page) is choice_mode
    assert ('id="choice-mode"' in page) is choice_mode
