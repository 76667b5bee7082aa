"""The intake questionnaire: built per program and per person (topics and questions come
from the program; expertise only for mentors; volunteering only where the program allows)."""

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from lti_tool.intake.models import MODALITIES
from lti_tool.web.choices import choices

LANGUAGES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese",
    "it": "Italian", "nl": "Dutch", "pl": "Polish", "ru": "Russian", "uk": "Ukrainian",
    "tr": "Turkish", "ar": "Arabic", "he": "Hebrew", "fa": "Persian", "hi": "Hindi",
    "bn": "Bengali", "ur": "Urdu", "zh": "Chinese", "ja": "Japanese", "ko": "Korean",
    "vi": "Vietnamese", "id": "Indonesian", "sw": "Swahili", "am": "Amharic",
}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The grid offers whole hours from 06:00 to 22:00; each ticked hour is two 30-minute slots.
GRID_HOURS = range(6, 23)
TIMEZONES = sorted(tz for tz in available_timezones() if "/" in tz or tz == "UTC")
MIN_WEEKLY_HOURS = 1


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def slot_value(day: int, hour: int) -> str:
    return f"{day}-{hour:02d}"


class AvailabilityField(Field):
    """Ticked hours of the weekly grid as [weekday, start minute] 30-minute slots."""

    def process_formdata(self, valuelist):
        slots = set()
        for value in valuelist:
            try:
                day, hour = (int(part) for part in value.split("-"))
            except ValueError as exc:
                raise ValueError("The availability grid sent an unknown time.") from exc
            if day not in range(7) or hour not in GRID_HOURS:
                raise ValueError("The availability grid sent an unknown time.")
            slots.update({(day, hour * 60), (day, hour * 60 + 30)})
        self.data = sorted([day, minute] for day, minute in slots)

    def ticked(self, day: int, hour: int) -> bool:
        return [day, hour * 60] in (self.data or [])


def _min_hours(form, field):
    if len(field.data or []) < MIN_WEEKLY_HOURS * 2:
        raise ValidationError(f"Tick at least {MIN_WEEKLY_HOURS} hour a week when you could meet.")


class IntakeForm(FlaskForm):
    topics = MultiCheckboxField("What do you want to work on?", validators=[Optional()])
    goals_text = TextAreaField("Your goals in your own words (optional)",
                               validators=[Length(max=1000)])
    expertise = MultiCheckboxField("What can you help others with?", validators=[Optional()])
    languages = MultiCheckboxField("Languages you can mentor or be mentored in",
                                   choices=choices(LANGUAGES.items()))
    timezone = SelectField("Your time zone", choices=choices(TIMEZONES),
                           validators=[DataRequired()])
    availability = AvailabilityField("When could you usually meet? (your local time)",
                                     validators=[_min_hours])
    modality = RadioField("How would you prefer to meet?", choices=choices(MODALITIES.items()),
                          default="video", validators=[InputRequired()])
    preferences = TextAreaField("Anything we should consider when matching? (optional)",
                                validators=[Length(max=1000)])
    volunteers_to_mentor = BooleanField("I would also like to mentor a peer")
    capacity = IntegerField("How many mentees can you take in all (across your courses)?",
                            default=2, validators=[Optional(), NumberRange(min=1, max=20)])
    other_topic = StringField("Another topic (optional)", validators=[Length(max=80)])

    def validate_languages(self, field):
        if not field.data:
            raise ValidationError("Choose at least one language.")


def build_intake_form(program, is_mentor: bool, is_mentee: bool, questions, **kwargs):
    """An IntakeForm for this program and person, with the program's questions added."""

    class ProgramIntakeForm(IntakeForm):
        pass

    for question in questions:
        field_class = MultiCheckboxField if question.multiple else RadioField
        setattr(ProgramIntakeForm, f"q_{question.id}", field_class(
            question.prompt, choices=choices(question.options),
            validators=[Optional()] if question.multiple else [InputRequired()]))
    form = ProgramIntakeForm(**kwargs)
    form.topics.choices = choices(program.topics)
    form.expertise.choices = choices(program.topics)
    form.is_mentor, form.is_mentee = is_mentor, is_mentee
    form.questions = questions
    return form


def check_role_fields(form) -> bool:
    """Topics are required of mentees, expertise of mentors (the form serves both)."""
    ok = True
    if form.is_mentee and not (form.topics.data or (form.other_topic.data or "").strip()):
        form.topics.errors = [*form.topics.errors, "Choose at least one topic."]
        ok = False
    if form.is_mentor and not form.expertise.data:
        form.expertise.errors = [*form.expertise.errors, "Choose at least one area."]
        ok = False
    return ok
