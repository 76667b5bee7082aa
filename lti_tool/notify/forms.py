"""The Notifications page's form: one choice per topic the person sees."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.validators import InputRequired

from lti_tool.i18n import translate
from lti_tool.notify import kinds, preferences
from lti_tool.notify.models import DIGEST, EACH, OFF
from lti_tool.web.choices import choices
from lti_tool.web.forms import FlaskForm


class PreferencesForm(FlaskForm):
    """Its fields are added per topic (`preferences_form`)."""


def _choices(topic: str):
    off = _l("Off, except what is essential") if preferences.still_sent(topic) else _l("Off")
    return choices([(EACH, _l("Each e-mail")), (DIGEST, _l("Daily digest")), (OFF, off)])


def preferences_form(topics: list[str], modes: dict[str, str]) -> PreferencesForm:
    """A form with a choice for each of `topics`, showing `modes` until something is sent."""
    form_class = type("TopicsForm", (PreferencesForm,), {
        topic: RadioField(translate(kinds.TOPICS[topic]), choices=_choices(topic),
                          validators=[InputRequired(message=_l("Choose one."))])
        for topic in topics})
    return form_class(data={topic: modes[topic] for topic in topics})
