"""WTForms' own messages (a required field, a number out of range) come in the page's
language from a catalogue read once per language (web/forms.py `get_translations`)."""

from wtforms import IntegerField
from wtforms.validators import NumberRange

from lti_tool.web import forms
from lti_tool.web.forms import FlaskForm


class _Form(FlaskForm):
    size = IntegerField("Size", validators=[NumberRange(min=1, max=3)])


def test_wtforms_messages_are_read_once_per_language(app):
    forms._wtforms_messages.cache_clear()
    with app.test_request_context("/", method="POST", data={"size": "9"}):
        form = _Form(meta={"csrf": False})
        assert not form.validate()
        assert form.size.errors == ["Number must be between 1 and 3."]
    with app.test_request_context("/"):
        _Form(meta={"csrf": False})
    info = forms._wtforms_messages.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_another_language_has_its_own_catalogue():
    french = forms._wtforms_messages("fr")
    assert french.gettext("This field is required.") == "Ce champ est requis."
    assert forms._wtforms_messages("fr") is french
