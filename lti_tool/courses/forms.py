"""Forms staff fill in about a course's program."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange


class ProgramForm(FlaskForm):
    title = StringField("Program title", validators=[DataRequired(), Length(max=120)],
                        default="Mentoring program")
    description = TextAreaField("What the program is for", validators=[Length(max=2000)])
    score_maximum = IntegerField(
        "Maximum participation grade", default=100, validators=[NumberRange(min=1, max=1000)]
    )
    meeting_minutes = IntegerField(
        "Usual meeting length (minutes)", default=45, validators=[NumberRange(min=15, max=120)]
    )


class ConfirmForm(FlaskForm):
    """A button-only form: CSRF protection for actions without fields."""
