"""The intake questionnaire: built per program and per person (topics and questions come
from the program; expertise only for mentors; volunteering only where the program allows)."""

import json
from datetime import UTC, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    RadioField,
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
from wtforms.widgets import html_params

from lti_tool.i18n import translated
from lti_tool.intake import zones
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
# The grid offers the whole day, 00:00 to 24:00 (a learner in Tokyo free 07:00-09:00 meets a
# mentor in Europe's evening); each ticked hour is two 30-minute slots.
GRID_HOURS = range(24)
REGION_NAMES = {
    "UTC": _l("Coordinated Universal Time"), "Africa": _l("Africa"), "America": _l("Americas"),
    "Antarctica": _l("Antarctica"), "Arctic": _l("Arctic"), "Asia": _l("Asia"),
    "Atlantic": _l("Atlantic Ocean"), "Australia": _l("Australia"), "Europe": _l("Europe"),
    "Indian": _l("Indian Ocean"), "Pacific": _l("Pacific"),
}
MIN_WEEKLY_HOURS = 1
BIO_LIMIT = 600  # a few sentences: what a mentee reads before choosing a mentor


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def labelled_options(self) -> Markup:
        """`<label><input ...> label</label>` for every choice: the HTML of WTForms' option
        fields rendered one by one, in one pass (the intake's lists were half its rendering
        time; tests/intake checks the two agree)."""
        if self.render_kw or self.flags.required:
            return Markup("".join(  # noqa: S704 - WTForms' HTML, the labels escaped
                f"<label>{option()} {escape(option.label.text)}</label>" for option in self))
        parts = []
        for index, (value, label, checked, _render_kw) in enumerate(self.iter_choices()):
            parts.append(f'<label><input {"checked " if checked else ""}id="{self.id}-{index}" '
                         f'name="{escape(self.name)}" type="checkbox" value="{escape(value)}">'
                         f" {escape(label)}</label>")
        return Markup("".join(parts))  # noqa: S704 - every part is escaped above


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

    def grid(self) -> Markup:
        """The grid's rows, an hour a row, a day a column, with the ticked hours checked."""
        ticked = {(day, minute // 60) for day, minute in self.data or []}
        pieces = _grid_pieces(str(get_locale()))
        html = [pieces[0]]
        for index, cell in enumerate(_GRID_CELLS):
            html.append(" checked" if cell in ticked else "")
            html.append(pieces[index + 1])
        return Markup("".join(html))  # noqa: S704 - _grid_pieces escapes what it holds


_GRID_CELLS = [(day, hour) for hour in GRID_HOURS for day in range(7)]


@lru_cache(maxsize=16)
def _grid_pieces(locale: str) -> tuple[str, ...]:
    """The grid's <tr>s once per locale, cut where each checkbox may get " checked" (168
    labelled checkboxes are most of the intake's rendering time otherwise)."""
    pieces, current = [], ""
    for hour in GRID_HOURS:
        current += f'<tr><th scope="row">{hour:02d}:00</th>'
        for day, name in enumerate(DAYS):
            value = slot_value(day, hour)
            label = _("%(day)s %(start)s to %(end)s", day=str(name), start=f"{hour:02d}:00",
                      end=f"{hour + 1:02d}:00")
            current += (f'<td><input type="checkbox" name="availability" value="{value}" '
                        f'id="slot-{value}" data-day="{day}" data-hour="{hour}" '
                        f'aria-label="{escape(label)}"')
            pieces.append(current)
            current = "></td>"
        current += "</tr>"
    pieces.append(current)
    return tuple(pieces)


@lru_cache(maxsize=64)
def _zone_options(locale: str, hour: datetime) -> str:
    """The picker's <optgroup>s, rendered once per locale and hour (about 420 options on
    every intake page: issue 17)."""
    parts = []
    for key, choices_ in zones.zone_groups(locale, hour):
        parts.append(f'<optgroup label="{escape(str(REGION_NAMES[key]))}">')
        parts.extend(f'<option value="{escape(name)}">{escape(label)}</option>'
                     for name, label in choices_)
        parts.append("</optgroup>")
    return "".join(parts)


@cache
def _aliases_json() -> str:
    aliases = {name: zones.canonical(name) for name in zones.KNOWN_ZONES - zones.ZONE_SET}
    return json.dumps({alias: name for alias, name in sorted(aliases.items()) if name},
                      separators=(",", ":"))


class ZoneSelect:
    """A <select> of the canonical zones, grouped by region, the field's zone selected. A
    saved zone outside the list (a fixed offset such as Etc/GMT-3) stays as a first option."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        if field.flags.required:
            kwargs.setdefault("required", True)
        value = zones.canonical(field.data) or field.data or ""  # set by a view, unchecked
        options = _zone_options(str(get_locale()), zones.current_hour())
        if value in zones.ZONE_SET:
            option = f'<option value="{escape(value)}">'
            options = options.replace(option, option[:-1] + " selected>", 1)
        elif value:
            options = f'<option value="{escape(value)}" selected>{escape(value)}</option>' \
                + options
        select = f"<select {html_params(name=field.name, **kwargs)}>{options}</select>"
        return Markup(select)  # noqa: S704 - every value and label in it is escaped


class ZoneField(Field):
    """An IANA time zone: the current canonical name for an alias (Asia/Calcutta is saved as
    Asia/Kolkata); any zone tzdata knows is accepted, the list shows canonical ones only."""

    widget = ZoneSelect()

    def process_data(self, value):
        self.data = zones.canonical(value) or value

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = zones.canonical(valuelist[0]) or valuelist[0]

    def pre_validate(self, form):
        if self.data and self.data not in zones.KNOWN_ZONES:
            raise ValidationError(_("Choose a time zone from the list."))

    def _value(self):
        return self.data or ""

    def now(self) -> str:
        """The time now in the chosen zone, for the page ("Monday 14:05")."""
        zone = ZoneInfo(self.data if self.data in zones.KNOWN_ZONES else "UTC")
        return format_datetime(datetime.now(UTC), "EEEE HH:mm", tzinfo=zone,
                               locale=get_locale())

    @staticmethod
    def aliases_json() -> str:
        """{alias: canonical} for the page script, whose browser may name an alias (Chrome
        says Asia/Calcutta)."""
        return _aliases_json()

    def offset(self) -> str:
        zone = self.data if self.data in zones.KNOWN_ZONES else "UTC"
        return zones.offset_label(zone, datetime.now(UTC))


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
    timezone = ZoneField(_l("Your time zone"), validators=[DataRequired()])
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
