"""LIS roles to Pairwise roles.

id_tokens carry full URIs (`http://purl.imsglobal.org/vocab/lis/v2/membership#Learner`), NRPS
members short names (`Learner`, Moodle) and sub-roles look like
`.../membership/Instructor#TeachingAssistant`. `normalise` turns each into a short name and a
kind (context / institution / system); `pairwise_role` picks staff > mentor > learner from the
context roles, falling back to institution/system roles only when there are none.
"""

import enum


class Role(enum.StrEnum):
    """What a person is in Pairwise, derived from their LIS roles (the courses' enrolments
    store it)."""

    STAFF = "staff"
    MENTOR = "mentor"
    LEARNER = "learner"

LIS_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/"
CONTEXT, INSTITUTION, SYSTEM = "context", "institution", "system"

STAFF_ROLES = {"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"}
MENTOR_ROLES = {"Mentor"}
LEARNER_ROLES = {"Learner"}


def normalise(role: str) -> tuple[str, str]:
    """Return (short name, kind) for a role in any of the forms platforms send."""
    role = role.strip()
    kind = CONTEXT
    if role.startswith(LIS_PREFIX):
        path = role[len(LIS_PREFIX):]
        if path.startswith("institution/"):
            kind = INSTITUTION
        elif path.startswith("system/"):
            kind = SYSTEM
        role = path
    # Deprecated LTI 1.1 short forms ("urn:lti:role:ims/lis/Instructor") end the same way.
    name = role.replace("/", "#").rsplit("#", 1)[-1]
    return name, kind


def short_names(roles: list[str]) -> list[str]:
    """The context role names that count for this course (see module docstring)."""
    parsed = [normalise(r) for r in roles if r and r.strip()]
    context = [name for name, kind in parsed if kind == CONTEXT]
    return context or [name for name, _ in parsed]


def pairwise_role(roles: list[str]) -> Role | None:
    names = set(short_names(roles))
    if names & STAFF_ROLES:
        return Role.STAFF
    if names & MENTOR_ROLES:
        return Role.MENTOR
    if names & LEARNER_ROLES:
        return Role.LEARNER
    return None
