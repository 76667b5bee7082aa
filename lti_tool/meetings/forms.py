"""Forms of the meetings pages. Times people type are in their own zone; candidate and open
times travel as UTC ISO strings the page lists."""

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from lti_tool.intake.forms import MultiCheckboxField
from lti_tool.meetings.models import MODALITY_LABELS, OUTCOMES
from lti_tool.meetings.recurrence import Recurrence, RecurrenceError
from lti_tool.web.choices import choices

REPEATS = {"": "Just once", "weekly": "Every week", "biweekly": "Every two weeks",
           "monthly": "Every month"}


def parse_instant(value: str) -> datetime | None:
    """A UTC ISO string from the page, or None when it is not one."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


class DetailsMixin:
    minutes = IntegerField("Length (minutes)", validators=[
        InputRequired(), NumberRange(min=15, max=120, message="From 15 to 120 minutes.")])
    modality = SelectField("How you meet", choices=choices(MODALITY_LABELS.items()),
                           default="video")
    link = StringField("Your own video link (optional; https, e.g. Zoom, Teams, Meet)",
                       validators=[Optional(), Length(max=2000)])
    location = StringField("Where (in person only)", validators=[Optional(), Length(max=200)])
    agenda = TextAreaField("Agenda (optional)", validators=[Optional(), Length(max=5000)])


class ProposeForm(DetailsMixin, FlaskForm):
    slots = MultiCheckboxField("Times you both marked as free", validate_choice=False)
    day = DateField("Or another day", validators=[Optional()])
    time = TimeField("at (your time)", validators=[Optional()])
    repeat = SelectField("Repeat", choices=choices(REPEATS.items()), default="")
    repeat_count = IntegerField("How many meetings", validators=[
        Optional(), NumberRange(min=2, max=52, message="From 2 to 52 meetings.")])
    repeat_until = DateField("Or until", validators=[Optional()])

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
            raise ValidationError(str(exc)) from exc


class BookForm(DetailsMixin, FlaskForm):
    start = HiddenField(validators=[InputRequired()])


class RespondForm(FlaskForm):
    option = RadioField("Your answer", validate_choice=False,
                        validators=[InputRequired(message="Choose a time or decline.")])


class RescheduleForm(FlaskForm):
    occurrence = HiddenField()
    day = DateField("New day", validators=[InputRequired()])
    time = TimeField("at (your time)", validators=[InputRequired()])
    reason = StringField("Why", validators=[InputRequired(), Length(max=500)])


class CancelForm(FlaskForm):
    occurrence = HiddenField()
    reason = StringField("Why", validators=[InputRequired(), Length(max=500)])


class AttendanceForm(FlaskForm):
    occurrence = HiddenField(validators=[InputRequired()])
    outcome = SelectField("Did it happen?", choices=choices(OUTCOMES.items()))


class EventForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=200)])
    description = TextAreaField("What it is", validators=[Optional(), Length(max=5000)])
    day = DateField("Day", validators=[InputRequired()])
    time = TimeField("Starts at (your time)", validators=[InputRequired()])
    minutes = IntegerField("Length (minutes)", default=60, validators=[
        InputRequired(), NumberRange(min=15, max=480)])
    modality = SelectField("Where", choices=choices([("in_person", "In person"),
                                                      ("video", "Video call")]))
    location = StringField("Place (in person)", validators=[Optional(), Length(max=200)])
    link = StringField("Video link (optional: a Jitsi room is made otherwise)",
                       validators=[Optional(), Length(max=2000)])


class RsvpForm(FlaskForm):
    answer = SelectField("Will you come?", choices=choices([
        ("yes", "Yes"), ("maybe", "Maybe"), ("no", "No")]))
