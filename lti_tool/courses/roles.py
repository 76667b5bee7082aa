"""Which Pairwise role an enrolment holds, from everything its platform said about it.

Launches decide. The roster (NRPS) adds people who never launched and may raise a role, but
never lowers one a launch gave: Moodle launches anyone who may manage the activity (non-editing
teachers too) as Instructor, while its NRPS lists non-editing teachers as Learner. Someone who
launched as Instructor and whom the roster lists without it is named `NonEditingTeacher`, which
the platform's role mapping (set by the administrator) may make a mentor.
"""

from lti_tool.courses.models import Enrolment
from lti_tool.lti.models import Platform
from lti_tool.lti.roles import NON_EDITING_TEACHER, Role, mapped_role, short_names


def lms_role_names(enrolment: Enrolment) -> set[str]:
    """The LMS role names the enrolment's last launch and last roster listing give."""
    launched = enrolment.last_launch_at is not None
    launch = set(short_names(enrolment.lis_roles)) if launched else set()
    roster = set(short_names(enrolment.roster_roles or []))
    if "Instructor" in launch and enrolment.roster_roles is not None \
            and "Instructor" not in roster:
        launch = (launch - {"Instructor"}) | {NON_EDITING_TEACHER}
        roster -= {"Learner"}  # Moodle's word for them in NRPS, not what they are
    return launch | roster


def settle_role(enrolment: Enrolment, platform: Platform) -> Role | None:
    """Set the enrolment's role from its LMS roles through the platform's mapping; None (and
    the role left as it was) when none of them has a place in Pairwise."""
    role = mapped_role(lms_role_names(enrolment), platform.role_mapping)
    if role is not None:
        enrolment.role = role
    return role
