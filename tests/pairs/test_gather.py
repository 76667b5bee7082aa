"""The cohort matching sees, built for some mentees only: the matching page (figures and the
mentors) and one mentee's recommendations load no one else's intake, yet count the others
alike (missing intakes, unknown groups, paired learners)."""

import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.intake.models import Profile
from lti_tool.pairs import services
from tests.support.staff_lists import grow, staff_of_program


def _names(people) -> list:
    return sorted(p.display_name if isinstance(p, Person) else p.name for p in people)


def test_a_cohort_for_some_mentees_counts_everyone_else_alike(app, platform):
    _, program_id = staff_of_program(app, platform)
    grown = grow(app, program_id, learners=8, mentors=3, paired=2)
    with app.app_context():
        # One learner without an intake, one whose groups the LMS never sent.
        db.session.execute(sa.delete(Profile).where(Profile.person_id == grown.learners[7]))
        db.session.execute(sa.update(Enrolment).where(
            Enrolment.person_id.in_(grown.learners)).values(groups=[]))
        db.session.execute(sa.update(Enrolment).where(
            Enrolment.person_id == grown.learners[6]).values(groups=None))
        db.session.commit()
        program = db.session.get(Program, program_id)
        everyone = services.gather(program)
        figures_only = services.gather(program, mentee_ids=())
        one = services.gather(program, mentee_ids={grown.learners[3]})

        assert [p.id for p in everyone.mentees] == grown.learners[2:7]
        assert figures_only.mentees == [] and [p.id for p in one.mentees] == [grown.learners[3]]
        for partial in (figures_only, one):
            assert _names(partial.mentors) == _names(everyone.mentors)
            assert [m.capacity for m in partial.mentors] == [m.capacity for m in everyone.mentors]
            assert _names(partial.missing_intake) == _names(everyone.missing_intake) == \
                ["Learner7 Person5010"]
            assert _names(partial.groups_unknown) == _names(everyone.groups_unknown) == \
                ["Learner6 Person5009"]
            assert partial.already_paired == everyone.already_paired == 2
