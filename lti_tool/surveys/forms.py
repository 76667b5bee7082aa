"""Forms of the survey pages."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lti_tool.intake.forms import MultiCheckboxField
from lti_tool.web.choices import choices


class SurveyForm(FlaskForm):
    rating = RadioField("Rating", coerce=int, choices=choices(
        [(str(n), str(n)) for n in range(1, 6)]),
        validators=[InputRequired(message="Choose a rating from 1 to 5.")])
    comment = TextAreaField("Anything to add? (optional)", validators=[Optional(),
                                                                      Length(max=2000)])


class SettingsForm(FlaskForm):
    anonymous = BooleanField("Answers are anonymous (staff see totals and comments, never "
                             "who answered what)")
    checkin_days = IntegerField("Days between check-ins", validators=[
        InputRequired(), NumberRange(min=7, max=60)])


class QuestionForm(FlaskForm):
    text = StringField("Question", validators=[InputRequired(), Length(max=300)])
    kind = SelectField("Answered", choices=choices([("text", "In words"),
                                                    ("scale", "On a 1-5 scale")]))
    surveys = MultiCheckboxField("In", choices=choices([("midpoint", "Mid-point survey"),
                                                        ("final", "End-of-program survey")]))
