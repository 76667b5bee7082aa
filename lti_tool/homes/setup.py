"""The program's next step on the staff home: a setup checklist until the first pairs are
published (settings, mentors, learners' intakes, a proposal, publishing), then the most
urgent of "What needs you", or the dashboard when nothing waits.

`setup_state` reads the program's figures in a fixed number of queries; `checklist` and
`next_step` are pure, so every stage is easy to test."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext, ngettext

from lti_tool.courses.models import Enrolment, Program, Role
from lti_tool.extensions import db
from lti_tool.homes.needs import Need
from lti_tool.intake.models import Mentor, Profile
from lti_tool.pairs.models import MatchRun, Pair, Proposal


@dataclass(frozen=True)
class SetupState:
    """What the program has done so far, in figures."""

    settings_saved: bool
    mentors: int  # approved mentors (and the LMS's mentors, when that source is on)
    volunteers_waiting: int
    learners: int
    intakes: int  # learners who filled in the intake
    draft_proposals: int  # pairs in the latest draft proposal (0: none)
    mentee_choice: bool
    published: bool  # any pair ever made


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    detail: str
    endpoint: str  # where it is done
    done: bool


def setup_state(program: Program) -> SetupState:
    learner_ids = set(db.session.scalars(sa.select(Enrolment.person_id).where(
        Enrolment.course_id == program.course_id, Enrolment.active.is_(True),
        Enrolment.role == Role.LEARNER)))
    profiled = set(db.session.scalars(
        sa.select(Profile.person_id).where(Profile.program_id == program.id)))
    mentor_rows = list(db.session.execute(sa.select(Mentor.person_id, Mentor.approved)
                                          .where(Mentor.program_id == program.id)))
    approved = {person_id for person_id, ok in mentor_rows if ok}
    if "lms_role" in (program.mentor_sources or ()):  # not in the table until matching runs
        approved |= set(db.session.scalars(sa.select(Enrolment.person_id).where(
            Enrolment.course_id == program.course_id, Enrolment.active.is_(True),
            Enrolment.role == Role.MENTOR)))
    draft = db.session.scalar(
        sa.select(sa.func.count(Proposal.id)).join(MatchRun, Proposal.run_id == MatchRun.id)
        .where(MatchRun.program_id == program.id, MatchRun.status == "draft"))
    published = db.session.scalar(
        sa.select(Pair.id).where(Pair.program_id == program.id).limit(1)) is not None
    return SetupState(
        settings_saved=bool(program.weights), mentors=len(approved),
        volunteers_waiting=sum(1 for _, ok in mentor_rows if not ok),
        learners=len(learner_ids), intakes=len(learner_ids & profiled),
        draft_proposals=draft or 0, mentee_choice=bool(program.mentee_choice),
        published=published)


def checklist(state: SetupState) -> list[Step]:
    """The setup steps in order, each done or not."""
    steps = [
        Step("settings", gettext("Choose the matching settings"),
             gettext("Topics, where mentors come from, capacities, how pairs are made."),
             "pairs.settings", state.settings_saved),
        Step("mentors", gettext("Designate or approve mentors"), _mentors_detail(state),
             "pairs.mentors", state.mentors > 0),
        Step("intakes", gettext("Learners fill in the intake"),
             ngettext("%(num)d of %(learners)d learner has filled in the intake.",
                      "%(num)d of %(learners)d learners have filled in the intake.",
                      state.intakes, learners=state.learners)
             if state.learners else
             gettext("No learner has opened the activity yet: ask them to open it in the "
                     "course."),
             "courses.roster", state.intakes > 0),
    ]
    if state.mentee_choice:
        steps.append(Step("choice", gettext("Learners choose their mentors"),
                          gettext("Mentee choice is on: each learner asks a mentor, who "
                                  "accepts or declines. The first accepted request makes "
                                  "the first pair."),
                          "pairs.matching", state.published))
        return steps
    steps += [
        Step("propose", gettext("Propose matches"),
             gettext("Pairwise suggests a mentor for each learner; you review and adjust."),
             "pairs.matching", state.draft_proposals > 0 or state.published),
        Step("publish", gettext("Publish the pairs"),
             ngettext("%(num)d pair proposed, waiting to be published.",
                      "%(num)d pairs proposed, waiting to be published.",
                      state.draft_proposals)
             if state.draft_proposals else
             gettext("Both members of each pair are told, and can start."),
             "pairs.matching", state.published),
    ]
    return steps


def _mentors_detail(state: SetupState) -> str:
    if state.volunteers_waiting:
        return ngettext("%(num)d volunteer waits for your approval.",
                        "%(num)d volunteers wait for your approval.",
                        state.volunteers_waiting)
    return ngettext("%(num)d mentor ready.", "%(num)d mentors ready.", state.mentors)


@dataclass(frozen=True)
class NextStep:
    title: str
    detail: str
    link: str


def next_step(state: SetupState, needs: list[Need]) -> NextStep:
    """The first setup step not done; after the first publish, the most urgent need, else
    the dashboard."""
    if not state.published:
        step = next((s for s in checklist(state) if not s.done), checklist(state)[-1])
        return NextStep(step.title, step.detail, url_for(step.endpoint))
    if needs:
        return NextStep(gettext("Start with: %(need)s", need=needs[0].label),
                        gettext("The most urgent of what needs you."), needs[0].link)
    return NextStep(gettext("Follow the pairs on the dashboard"),
                    gettext("Every pair's health, meetings per week, and who may need a "
                            "nudge."), url_for("relationships.dashboard"))
