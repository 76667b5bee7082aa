"""Staff forms of the participation grades: the rubric, and overriding or holding a score."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FloatField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lti_tool.grades.rubric import MENTOR_FIELDS
from lti_tool.web.forms import FlaskForm

MAX_POINTS = 1000


def _points(label: str) -> FloatField:
    return FloatField(label, validators=[InputRequired(), NumberRange(min=0, max=MAX_POINTS)])


def _cap(label: str) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=0, max=100)])


def _mentor_points(label: str) -> FloatField:
    """Left empty (or not sent): the mentors' rubric keeps its value."""
    return FloatField(label, validators=[Optional(), NumberRange(min=0, max=MAX_POINTS)])


def _mentor_cap(label: str) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=100)])


class PolicyForm(FlaskForm):
    """The rubric: points per kind of participation up to a cap, the maximum (the LMS grade
    item's), completion criteria and the grade to pass staff also set in the LMS."""

    maximum = IntegerField(_l("Maximum grade (the grade item's maximum in the LMS)"),
                           validators=[InputRequired(), NumberRange(min=1, max=MAX_POINTS)])
    points_per_meeting = _points(_l("Points per meeting held (confirmed by both)"))
    meeting_cap = _cap(_l("Meetings that count, at most"))
    points_per_recap = _points(_l("Points per recap written"))
    recap_cap = _cap(_l("Recaps that count, at most"))
    agreement_points = _points(_l("Points for signing the mentoring agreement"))
    points_per_goal = _points(_l("Points per goal set"))
    goal_cap = _cap(_l("Goals that count, at most"))
    points_per_action = _points(_l("Points per action item done"))
    action_cap = _cap(_l("Action items that count, at most"))
    points_per_survey = _points(_l("Points per check-in survey answered"))
    survey_cap = _cap(_l("Surveys that count, at most"))
    reflection_points = _points(_l("Points for the final reflection"))
    min_meetings = _cap(_l("Completed: at least this many meetings held"))
    require_agreement = BooleanField(_l("Completed: the agreement is signed"))
    require_reflection = BooleanField(_l("Completed: the final reflection is submitted"))
    pass_score = FloatField(_l("Grade to pass (set the same in the LMS)"),
                            validators=[InputRequired(), NumberRange(min=0.01, max=MAX_POINTS)])
    gate_pass = BooleanField(_l("Keep scores below the grade to pass until the completion "
                             "criteria are met, and lift them to it once they are"))
    grade_mentors = BooleanField(_l("Grade mentors too, with their own rubric"))
    # The mentors' rubric (rubric.MENTOR_FIELDS), used when mentors are graded.
    mentor_points_per_meeting = _mentor_points(_l("Mentors: points per meeting held with "
                                                  "each mentee"))
    mentor_meeting_cap = _mentor_cap(_l("Mentors: meetings that count, at most"))
    mentor_points_per_recap = _mentor_points(_l("Mentors: points per recap written"))
    mentor_recap_cap = _mentor_cap(_l("Mentors: recaps that count, at most"))
    mentor_points_per_survey = _mentor_points(_l("Mentors: points per check-in survey "
                                                 "answered"))
    mentor_survey_cap = _mentor_cap(_l("Mentors: check-in surveys that count, at most"))
    mentor_min_meetings = _mentor_cap(_l("Mentors completed: at least this many meetings "
                                         "held with each mentee"))

    FIELDS = ("points_per_meeting", "meeting_cap", "points_per_recap", "recap_cap",
              "agreement_points", "points_per_goal", "goal_cap", "points_per_action",
              "action_cap", "points_per_survey", "survey_cap", "reflection_points",
              "min_meetings", "require_agreement", "require_reflection", "pass_score",
              "gate_pass", "grade_mentors")

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in self.FIELDS}
        values["mentor_rubric"] = {name: getattr(self, f"mentor_{name}").data
                                   for name in MENTOR_FIELDS
                                   if getattr(self, f"mentor_{name}").data is not None}
        return values

    def mentor_fields(self) -> list:
        return [getattr(self, f"mentor_{name}") for name in MENTOR_FIELDS]


class OverrideForm(FlaskForm):
    score = FloatField(_l("Score"), validators=[InputRequired(), NumberRange(min=0,
                                                                         max=MAX_POINTS)])
    reason = TextAreaField(_l("Reason (kept in the audit log)"),
                           validators=[DataRequired(), Length(max=1000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (kept in the audit log)"),
                           validators=[Optional(), Length(max=1000)])
