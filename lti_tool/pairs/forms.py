"""Staff forms of the matching workflow."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from lti_tool.intake.forms import MultiCheckboxField
from lti_tool.web.choices import choices
from lti_tool.web.forms import FlaskForm, SelectField, required


class ProposeForm(FlaskForm):
    policy = SelectField(_l("Matching policy"), choices=choices([
        ("optimal", _l("Best total compatibility (optimal)")),
        ("stable", _l("Stable (no mentee and mentor would both rather swap)")),
    ]), default="optimal")


class AssignForm(FlaskForm):
    mentee_id = IntegerField(validators=[InputRequired()])
    # Offered choices are for display; services.assign checks the mentor against the cohort
    # (gathering it here as well would do that work twice per request).
    mentor_id = SelectField(_l("Mentor"), coerce=int, validate_choice=False,
                            validators=[InputRequired()])


class PersonForm(FlaskForm):
    person_id = IntegerField(validators=[InputRequired()])


class CapacityForm(FlaskForm):
    capacity = IntegerField(_l("Capacity"),
                            validators=[InputRequired(), NumberRange(min=0, max=50)])


class SettingsForm(FlaskForm):
    """How the program matches: topics offered, mentor sources, capacities, weights and hard
    constraints (see lti_tool/matching/profiles.py for their meaning)."""

    topics = TextAreaField(_l("Topics participants choose from (one per line)"),
                           validators=[DataRequired(), Length(max=3000)])
    mentor_sources = MultiCheckboxField(_l("Who can be a mentor"), choices=choices([
        ("designated", _l("People staff choose from the roster")),
        ("lms_role", _l("People with the Mentor or Teaching Assistant role in the course")),
        ("volunteer", _l("Learners who volunteer as peer mentors (staff approve)")),
    ]))
    default_capacity = IntegerField(_l("Mentees per mentor (default)"),
                                    validators=[InputRequired(), NumberRange(min=1, max=50)])
    max_capacity = IntegerField(_l("Mentees per mentor (most a mentor may take)"),
                                validators=[InputRequired(), NumberRange(min=1, max=50)])
    weight_topics = DecimalField(_l("Weight: shared goals and expertise"), places=1,
                                 validators=[InputRequired(), NumberRange(min=0, max=10)])
    weight_languages = DecimalField(_l("Weight: shared languages"), places=1,
                                    validators=[InputRequired(), NumberRange(min=0, max=10)])
    weight_availability = DecimalField(_l("Weight: weekly time overlap"), places=1,
                                       validators=[InputRequired(), NumberRange(min=0, max=10)])
    weight_modality = DecimalField(_l("Weight: same preferred way to meet"), places=1,
                                   validators=[InputRequired(), NumberRange(min=0, max=10)])
    weight_questions = DecimalField(_l("Weight: program questions"), places=1,
                                    validators=[InputRequired(), NumberRange(min=0, max=10)])
    require_shared_language = BooleanField(_l("A pair must share a language"))
    min_overlap_hours = DecimalField(_l("Minimum weekly overlap (hours)"), places=1,
                                     validators=[InputRequired(), NumberRange(min=0, max=40)])
    group_rule = SelectField(_l("LMS groups"), choices=choices([
        ("any", _l("Ignore groups")), ("same", _l("Pair within the same group")),
        ("different", _l("Pair across different groups"))]))
    mentee_choice = BooleanField(_l("Mentees choose: they see their top three recommended mentors "
                                 "and request one, who accepts or declines"))
    request_days = IntegerField(_l("Days a mentor has to answer a request"),
                                validators=[InputRequired(), NumberRange(min=1, max=60)])
    term_weeks = IntegerField(_l("How many weeks a relationship runs (staff may extend a pair)"),
                              validators=[InputRequired(), NumberRange(min=1, max=104)])
    policy = SelectField(_l("Default matching policy"), choices=choices([
        ("optimal", _l("Best total compatibility (optimal)")),
        ("stable", _l("Stable (no mentee and mentor would both rather swap)"))]))

    def validate_max_capacity(self, field):
        if self.default_capacity.data and field.data < self.default_capacity.data:
            raise ValidationError(_("The most a mentor may take cannot be below the default."))

    def topic_list(self) -> list[str]:
        """Once the form is valid (the field is required)."""
        lines = (line.strip()[:80] for line in required(self.topics.data).splitlines())
        return list(dict.fromkeys(line for line in lines if line))


class QuestionForm(FlaskForm):
    prompt = StringField(_l("Question"), validators=[DataRequired(), Length(max=300)])
    options = TextAreaField(_l("Answers to choose from (one per line, at least two)"),
                            validators=[DataRequired(), Length(max=2000)])
    multiple = BooleanField(_l("People may choose several answers"))

    def option_list(self) -> list[str]:
        """Once the field has passed DataRequired (`validate_options` runs after it)."""
        options = required(self.options.data).splitlines()
        return list(dict.fromkeys(o.strip()[:120] for o in options if o.strip()))

    def validate_options(self, field):
        if len(self.option_list()) < 2:
            raise ValidationError(_("Give at least two answers."))


class EndPairForm(FlaskForm):
    status = SelectField(_l("How it ended"), choices=choices([
        ("completed", _l("Completed")),
        ("ended", _l("Ended early (the mentee can be matched again)"))]))
    reason = StringField(_l("Reason (kept in the program's history)"),
                         validators=[Length(max=1000)])
    avoid_again = BooleanField(_l("Don't propose these two together again"))


class BulkEndForm(EndPairForm):
    """Ends the ticked pairs (`pair_id`, read from the request: the list changes per page)."""


class LockAboveForm(FlaskForm):
    score = IntegerField(_l("Lock every pair scoring at least"),
                         validators=[InputRequired(), NumberRange(min=0, max=100)])


class ExtendForm(FlaskForm):
    until = DateField(_l("Continue until"), validators=[InputRequired()])
    note = StringField(_l("Why (optional)"), validators=[Length(max=500)])


class AvoidForm(FlaskForm):
    mentee_id = SelectField(_l("Mentee"), coerce=int, validate_choice=False,
                            validators=[InputRequired()])
    mentor_id = SelectField(_l("Mentor"), coerce=int, validate_choice=False,
                            validators=[InputRequired()])
    reason = StringField(_l("Reason (staff only)"), validators=[Length(max=500)])


class RequestForm(FlaskForm):
    mentor_id = IntegerField(validators=[InputRequired()])
    message = TextAreaField(_l("A note for the mentor (optional)"), validators=[Length(max=1000)])


class AnswerForm(FlaskForm):
    accept = SelectField(choices=choices([("yes", _l("Accept")), ("no", _l("Decline"))]))
