"""Forms of the survey pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lti_tool.intake.forms import MultiCheckboxField
from lti_tool.web.choices import choices
from lti_tool.web.forms import FlaskForm, SelectField


class SurveyForm(FlaskForm):
    rating = RadioField(_l("Rating"), coerce=int, choices=choices(
        [(str(n), str(n)) for n in range(1, 6)]),
        validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))])
    comment = TextAreaField(_l("Anything to add? (optional)"), validators=[Optional(),
                                                                      Length(max=2000)])


class SettingsForm(FlaskForm):
    anonymous = BooleanField(_l("Answers are anonymous (staff see totals and comments, never "
                             "who answered what)"))
    checkin_days = IntegerField(_l("Days between check-ins"), validators=[
        InputRequired(), NumberRange(min=7, max=60)])


class QuestionForm(FlaskForm):
    text = StringField(_l("Question"), validators=[InputRequired(), Length(max=300)])
    kind = SelectField(_l("Answered"), choices=choices([("text", _l("In words")),
                                                    ("scale", _l("On a 1-5 scale"))]))
    surveys = MultiCheckboxField(_l("In"), choices=choices([("midpoint", _l("Mid-point survey")),
                                                        ("final", _l("End-of-program survey"))]))
