"""The intake questionnaire: built per program and per person (topics and questions come
from the program; expertise only for mentors; volunteering only where the program allows)."""

from zoneinfo import available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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

from lti_tool.i18n import translated
from lti_tool.intake.models import MODALITIES
from lti_tool.web.choices import choices
from lti_tool.web.forms import FlaskForm

LANGUAGES = {
    "en": _l("English"), "es": _l("Spanish"), "fr": _l("French"), "de": _l("German"),
    "pt": _l("Portuguese"), "it": _l("Italian"), "nl": _l("Dutch"), "pl": _l("Polish"),
    "ru": _l("Russian"), "uk": _l("Ukrainian"), "tr": _l("Turkish"), "ar": _l("Arabic"),
    "he": _l("Hebrew"), "fa": _l("Persian"), "hi": _l("Hindi"), "bn": _l("Bengali"),
    "ur": _l("Urdu"), "zh": _l("Chinese"), "ja": _l("Japanese"), "ko": _l("Korean"),
    "vi": _l("Vietnamese"), "id": _l("Indonesian"), "sw": _l("Swahili"), "am": _l("Amharic"),
}
DAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
        _l("Saturday"), _l("Sunday"))
# The grid offers whole hours from 06:00 to 22:00; each ticked hour is two 30-minute slots.
GRID_HOURS = range(6, 23)
TIMEZONES = sorted(tz for tz in available_timezones() if "/" in tz or tz == "UTC")
MIN_WEEKLY_HOURS = 1
BIO_LIMIT = 600  # a few sentences: what a mentee reads before choosing a mentor


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
                raise ValueError(_("The availability grid sent an unknown time.")) from exc
            if day not in range(7) or hour not in GRID_HOURS:
                raise ValueError(_("The availability grid sent an unknown time."))
            slots.update({(day, hour * 60), (day, hour * 60 + 30)})
        self.data = sorted([day, minute] for day, minute in slots)

    def ticked(self, day: int, hour: int) -> bool:
        return [day, hour * 60] in (self.data or [])


def _min_hours(form, field):
    if len(field.data or []) < MIN_WEEKLY_HOURS * 2:
        raise ValidationError(_("Tick at least %(hours)s hour a week when you could meet.",
                                hours=MIN_WEEKLY_HOURS))


class IntakeForm(FlaskForm):
    topics = MultiCheckboxField(_l("What do you want to work on?"), validators=[Optional()])
    goals_text = TextAreaField(_l("Your goals in your own words (optional)"),
                               description=_l("Your mentor reads this; program staff do not."),
                               validators=[Length(max=1000)])
    expertise = MultiCheckboxField(_l("What can you help others with?"), validators=[Optional()])
    bio = TextAreaField(
        _l("About you, for mentees (optional)"),
        description=_l("A few sentences: your work, and what you enjoy helping with."),
        validators=[Length(max=BIO_LIMIT, message=_l("Keep it under %(max)d characters."))])
    languages = MultiCheckboxField(_l("Languages you can mentor or be mentored in"),
                                   choices=choices(LANGUAGES.items()))
    timezone = SelectField(_l("Your time zone"), choices=choices(TIMEZONES),
                           validators=[DataRequired()])
    availability = AvailabilityField(_l("When could you usually meet? (your local time)"),
                                     validators=[_min_hours])
    modality = RadioField(_l("How would you prefer to meet?"),
                          choices=choices(translated(MODALITIES).items()),
                          default="video", validators=[InputRequired()])
    preferences = TextAreaField(
        _l("Anything your mentor should know or keep in mind? (optional)"),
        description=_l("Your mentor reads this; program staff do not, and matching does not "
                       "use it."),
        validators=[Length(max=1000)])
    volunteers_to_mentor = BooleanField(_l("I would also like to mentor a peer"))
    capacity = IntegerField(_l("How many mentees can you take in all (across your courses)?"),
                            default=2, validators=[Optional(), NumberRange(min=1, max=20)])
    other_topic = StringField(_l("Another topic (optional)"), validators=[Length(max=80)])

    def validate_languages(self, field):
        if not field.data:
            raise ValidationError(_("Choose at least one language."))


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
        form.topics.errors = [*form.topics.errors, _("Choose at least one topic.")]
        ok = False
    if form.is_mentor and not form.expertise.data:
        form.expertise.errors = [*form.expertise.errors, _("Choose at least one area.")]
        ok = False
    return ok
