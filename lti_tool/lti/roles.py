"""LIS roles to Pairwise roles.

id_tokens carry full URIs (`http://purl.imsglobal.org/vocab/lis/v2/membership#Learner`), NRPS
members short names (`Learner`, Moodle) and sub-roles look like
`.../membership/Instructor#TeachingAssistant`. `normalise` turns each into a short name and a
kind (context / institution / system); `pairwise_role` picks staff > mentor > learner from the
context roles, falling back to institution/system roles only when there are none.
"""

import enum
from collections.abc import Mapping


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


# --- Per-platform role mapping ------------------------------------------------------------
# Moodle launches anyone who may manage the activity (`mod/lti:manage`: teachers, non-editing
# teachers, managers) as Instructor, while its NRPS lists non-editing teachers as Learner. No
# claim says "non-editing teacher"; the two together do, so the course layer names a person
# who launched as Instructor and whom the roster lists without it with this derived role.
NON_EDITING_TEACHER = "NonEditingTeacher"
# The LMS roles an administrator may map, with what each means (for the admin page).
MAPPABLE_ROLES = ("Instructor", NON_EDITING_TEACHER, "TeachingAssistant", "Mentor",
                  "ContentDeveloper", "Administrator", "Learner")
DEFAULT_ROLES = {**{name: Role.STAFF for name in STAFF_ROLES | {NON_EDITING_TEACHER}},
                 **{name: Role.MENTOR for name in MENTOR_ROLES},
                 **{name: Role.LEARNER for name in LEARNER_ROLES}}
RANK = {Role.STAFF: 0, Role.MENTOR: 1, Role.LEARNER: 2}


def mapped_role(names: set[str], mapping: Mapping[str, str] | None = None) -> Role | None:
    """The highest Pairwise role the names give, each through the platform's mapping first
    (LMS role name → "staff" | "mentor" | "learner"), else the default."""
    mapping = mapping or {}
    roles = [Role(mapping[name]) if name in mapping else DEFAULT_ROLES.get(name)
             for name in names]
    known = [role for role in roles if role is not None]
    return min(known, key=RANK.__getitem__) if known else None


class MappingError(ValueError):
    """A line of a role mapping that cannot be read; the message names it."""


def parse_mapping(text: str) -> dict[str, str]:
    """Lines such as `NonEditingTeacher -> mentor` (also `→` or `=`); blank lines skipped.
    Raises MappingError naming the first line it cannot read."""
    mapping: dict[str, str] = {}
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for line in lines:
        parts = line.replace("→", "->").replace("=", "->").split("->")
        if len(parts) != 2:
            raise MappingError(line)
        lms, pairwise = parts[0].strip(), parts[1].strip().lower()
        known = {name.lower(): name for name in MAPPABLE_ROLES}
        if lms.lower() not in known or pairwise not in {r.value for r in Role} \
                or known[lms.lower()] in mapping:
            raise MappingError(line)
        mapping[known[lms.lower()]] = pairwise
    return mapping


def format_mapping(mapping: dict[str, str] | None) -> str:
    return "\n".join(f"{lms} -> {role}" for lms, role in (mapping or {}).items())
