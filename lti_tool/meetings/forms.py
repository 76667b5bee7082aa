"""Forms of the meetings pages. Times people type are in their own zone; candidate and open
times travel as UTC ISO strings the page lists."""

from datetime import UTC, datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from lti_tool.i18n import translated
from lti_tool.intake.forms import MultiCheckboxField
from lti_tool.meetings.models import MODALITY_LABELS, OUTCOMES
from lti_tool.meetings.recurrence import Recurrence, RecurrenceError
from lti_tool.web.choices import choices
from lti_tool.web.forms import FlaskForm, SelectField

REPEATS = {"": _l("Just once"), "weekly": _l("Every week"), "biweekly": _l("Every two weeks"),
           "monthly": _l("Every month")}


def parse_instant(value: str) -> datetime | None:
    """A UTC ISO string from the page, or None when it is not one."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


class DetailsMixin:
    minutes = IntegerField(_l("Length (minutes)"), validators=[
        InputRequired(), NumberRange(min=15, max=120, message=_l("From 15 to 120 minutes."))])
    modality = SelectField(_l("How you meet"), choices=choices(translated(MODALITY_LABELS).items()),
                           default="video")
    link = StringField(_l("Your own video link (optional; https, e.g. Zoom, Teams, Meet)"),
                       validators=[Optional(), Length(max=2000)])
    location = StringField(_l("Where (in person only)"), validators=[Optional(), Length(max=200)])
    agenda = TextAreaField(_l("Agenda (optional)"), validators=[Optional(), Length(max=5000)])


class ProposeForm(DetailsMixin, FlaskForm):
    slots = MultiCheckboxField(_l("Times you both marked as free"), validate_choice=False)
    day = DateField(_l("Or another day"), validators=[Optional()])
    time = TimeField(_l("at (your time)"), validators=[Optional()])
    repeat = SelectField(_l("Repeat"), choices=choices(REPEATS.items()), default="")
    repeat_count = IntegerField(_l("How many meetings"), validators=[
        Optional(), NumberRange(min=2, max=52, message=_l("From 2 to 52 meetings."))])
    repeat_until = DateField(_l("Or until"), validators=[Optional()])

    def recurrence(self) -> Recurrence | None:
        """The series asked for; raises ValidationError with the reason."""
        if not self.repeat.data:
            return None
        count, until = self.repeat_count.data, self.repeat_until.data
        if count is None and until is None:
            count = 6
        try:
            return Recurrence(self.repeat.data, count=count if until is None else None,
                              until=until)
        except RecurrenceError as exc:
            raise ValidationError(gettext(str(exc))) from exc


class BookForm(DetailsMixin, FlaskForm):
    start = HiddenField(validators=[InputRequired()])


class RespondForm(FlaskForm):
    option = RadioField(_l("Your answer"), validate_choice=False,
                        validators=[InputRequired(message=_l("Choose a time or decline."))])


class RescheduleForm(FlaskForm):
    occurrence = HiddenField()
    day = DateField(_l("New day"), validators=[InputRequired()])
    time = TimeField(_l("at (your time)"), validators=[InputRequired()])
    reason = StringField(_l("Why"), validators=[InputRequired(), Length(max=500)])


class CancelForm(FlaskForm):
    occurrence = HiddenField()
    reason = StringField(_l("Why"), validators=[InputRequired(), Length(max=500)])


class AttendanceForm(FlaskForm):
    occurrence = HiddenField(validators=[InputRequired()])
    outcome = SelectField(_l("Did it happen?"), choices=choices(translated(OUTCOMES).items()))


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(_l("What it is"), validators=[Optional(), Length(max=5000)])
    day = DateField(_l("Day"), validators=[InputRequired()])
    time = TimeField(_l("Starts at (your time)"), validators=[InputRequired()])
    minutes = IntegerField(_l("Length (minutes)"), default=60, validators=[
        InputRequired(), NumberRange(min=15, max=480)])
    modality = SelectField(_l("Where"), choices=choices([("in_person", _l("In person")),
                                                      ("video", _l("Video call"))]))
    location = StringField(_l("Place (in person)"), validators=[Optional(), Length(max=200)])
    link = StringField(_l("Video link (optional: a Jitsi room is made otherwise)"),
                       validators=[Optional(), Length(max=2000)])


class RsvpForm(FlaskForm):
    answer = SelectField(_l("Will you come?"), choices=choices([
        ("yes", _l("Yes")), ("maybe", _l("Maybe")), ("no", _l("No"))]))
