"""Forms staff fill in about a course's program."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from lti_tool.web.forms import FlaskForm


class ProgramForm(FlaskForm):
    title = StringField(_l("Program title"), validators=[DataRequired(), Length(max=120)],
                        default=_l("Mentoring program"))
    description = TextAreaField(_l("What the program is for"), validators=[Length(max=2000)])
    score_maximum = IntegerField(
        _l("Maximum participation grade"), default=100, validators=[NumberRange(min=1, max=1000)]
    )
    meeting_minutes = IntegerField(
        _l("Usual meeting length (minutes)"), default=45, validators=[NumberRange(min=15, max=120)]
    )


class ConfirmForm(FlaskForm):
    """A button-only form: CSRF protection for actions without fields."""
