"""Forms of the dashboard settings and of success stories."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DecimalField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from lti_tool.web.forms import FlaskForm


def _days(label: str) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=1, max=365)])


class HealthSettingsForm(FlaskForm):
    THRESHOLDS = ("quiet_days", "silent_days", "first_meeting_days", "goals_after_days",
                  "agreement_after_days", "inactive_days", "low_rating")
    quiet_days = _days(_l("A pair needs attention when its last meeting is this many days ago"))
    silent_days = _days(_l("… or when nobody wrote or met for this many days"))
    first_meeting_days = _days(_l("Days after the match by which the first meeting should be held"))
    goals_after_days = _days(_l("Days after the match by which goals should be set"))
    agreement_after_days = _days(_l("Days after the match by which the agreement should be signed"))
    inactive_days = _days(_l("A pair is inactive after this many days without any activity"))
    low_rating = DecimalField(_l("Check-in ratings at or below this (1-5) are a warning sign"),
                              places=1, validators=[InputRequired(), NumberRange(min=1, max=5)])
    auto_close = BooleanField(
        _l("Warn inactive pairs, then close them (freeing the mentor's place)"))
    close_after_warning_days = _days(_l("Days between the warning and closing"))


class StoryForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    body = TextAreaField(_l("Your story"), validators=[InputRequired(), Length(max=5000)])
    show_name = BooleanField(_l("Show my name with it (otherwise: \"a mentee\" or \"a mentor\")"))
    consent = BooleanField(_l("I agree that this story may be shown to everyone in the program"))
