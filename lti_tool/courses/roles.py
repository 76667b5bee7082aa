"""Which Pairwise role an enrolment holds, from everything its platform said about it.

Launches decide. The roster (NRPS) adds people who never launched and may raise a role, but
never lowers one a launch gave: Moodle launches anyone who may manage the activity (non-editing
teachers too) as Instructor, while its NRPS lists non-editing teachers as Learner. Someone who
launched as Instructor and whom the roster lists without it is named `NonEditingTeacher`, which
the platform's role mapping (set by the administrator) may make a mentor.
"""

from collections.abc import Mapping
from typing import Protocol

from lti_tool.courses.models import Enrolment
from lti_tool.lti.roles import NON_EDITING_TEACHER, Role, mapped_role, short_names


class HasRoleMapping(Protocol):
    """A platform (its row, or the launch's cached `Registered`)."""

    @property
    def role_mapping(self) -> Mapping[str, str]: ...


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


def role_for(enrolment: Enrolment, platform: HasRoleMapping) -> Role | None:
    """The enrolment's role from its LMS roles through the platform's mapping; None when
    none of them has a place in Pairwise."""
    return mapped_role(lms_role_names(enrolment), platform.role_mapping)


def settle_role(enrolment: Enrolment, platform: HasRoleMapping) -> Role | None:
    """Set the enrolment's role from its LMS roles through the platform's mapping; None (and
    the role left as it was) when none of them has a place in Pairwise."""
    role = role_for(enrolment, platform)
    if role is not None and enrolment.role != role:
        enrolment.role = role
    return role
