"""Forms of the workspace pages. The services check everything again: these give the page
its fields and a first, friendly word on what is missing."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lti_tool.i18n import translated
from lti_tool.web.choices import choices
from lti_tool.web.forms import FlaskForm, SelectField
from lti_tool.workspace.models import CHANNELS, FREQUENCIES, GOAL_STATUSES, RESPONSE_TIMES
from lti_tool.workspace.services import (
    LIMITS,
    MAX_MILESTONES,
    MINUTES,
    TERM_LABELS,
    GoalInput,
    Terms,
    milestone_lines,
)

LABELS = translated(TERM_LABELS)


def _most(limit: int) -> Length:
    return Length(max=limit, message=_l("keep it under %(limit)s characters.",
                                        limit=format(limit, ",")))


def _text(name: str, required: bool = False, label: str | None = None):
    first = InputRequired() if required else Optional()
    return TextAreaField(label or LABELS[name], validators=[
        first, _most(LIMITS["terms"])])


class TermsForm(FlaskForm):
    """The mentoring agreement, and staff's template of it."""

    base = HiddenField()  # the number of the version edited; empty for the first
    frequency = SelectField(LABELS["frequency"],
                            choices=choices(translated(FREQUENCIES).items()))
    minutes = IntegerField(LABELS["minutes"], validators=[
        InputRequired(), NumberRange(min=MINUTES[0], max=MINUTES[1],
                                     message=_l("From %(min)s to %(max)s minutes."))])
    preferred_channel = SelectField(LABELS["preferred_channel"],
                                    choices=choices(translated(CHANNELS).items()), default="video")
    fallback_channel = SelectField(LABELS["fallback_channel"],
                                   choices=choices(translated(CHANNELS).items()), default="phone")
    response_time = SelectField(_l("How soon you answer each other's messages"),
                                choices=choices(translated(RESPONSE_TIMES).items()))
    confidentiality = _text("confidentiality", required=True,
                            label=_l("Confidentiality: what stays between you"))
    boundaries = _text("boundaries", required=True,
                       label=_l("Boundaries: what you keep to, and what is off limits"))
    mentee_hopes = _text("mentee_hopes")
    mentor_hopes = _text("mentor_hopes")

    def terms(self) -> Terms:
        values = {name: getattr(self, name).data for name in TERM_LABELS}
        return Terms(**{name: "" if value is None else value for name, value in values.items()})

    def base_number(self) -> int | None:
        value = (self.base.data or "").strip()
        return int(value) if value.isdigit() else None


class AcceptForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])
    # What the accepting member wants from the relationship, added to what the version says
    # for them: it makes a new version, for the other member to accept.
    additions = TextAreaField(
        _l("Add what you want from the relationship (optional)"),
        validators=[Optional(), _most(LIMITS["terms"])])


class TickForm(FlaskForm):
    item = HiddenField(validators=[InputRequired()])
    done = HiddenField()  # "1" ticks, anything else unticks


class GoalForm(FlaskForm):
    title = StringField(_l("The goal"), validators=[InputRequired(), _most(LIMITS["title"])])
    description = TextAreaField(_l("Details (optional)"), validators=[
        Optional(), _most(LIMITS["description"])])
    success_measure = TextAreaField(_l("How you will know you have reached it"), validators=[
        Optional(), _most(LIMITS["success_measure"])])
    target_date = DateField(_l("Target date (optional)"), validators=[Optional()])
    milestones = TextAreaField(_l("Milestones, one a line (optional)"), validators=[
        Optional(), _most(MAX_MILESTONES * (LIMITS["milestone"] + 2))])
    progress = IntegerField(_l("Progress in % (while there are no milestones)"), validators=[
        Optional(), NumberRange(min=0, max=100, message=_l("From 0 to 100."))])

    def goal_input(self, status: str = "active") -> GoalInput:
        return GoalInput(title=self.title.data or "", description=self.description.data or "",
                         success_measure=self.success_measure.data or "",
                         target_date=self.target_date.data,
                         milestones=milestone_lines(self.milestones.data),
                         progress=self.progress.data, status=status)


class EditGoalForm(GoalForm):
    status = SelectField(_l("Status"), choices=choices(translated(GOAL_STATUSES).items()))


class MilestoneForm(FlaskForm):
    done = HiddenField()  # "1" marks it done, anything else not done
