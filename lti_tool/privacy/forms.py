"""Forms of the privacy pages: confirming an erasure, and the program's retention setting."""

from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lti_tool.privacy.retention import MAX_RETENTION_DAYS
from lti_tool.web.forms import FlaskForm


class EraseForm(FlaskForm):
    """Staff type the person's name: an erasure cannot be undone, so it is never one click."""

    confirm_name = StringField("Type the person's name to confirm",
                               validators=[InputRequired(), Length(max=255)])


class RetentionForm(FlaskForm):
    retention_days = IntegerField(
        "Delete the pairs' private writing this many days after the program ends "
        "(leave empty to keep it)",
        validators=[Optional(), NumberRange(min=0, max=MAX_RETENTION_DAYS)])
