"""Form helpers shared by the pages, and the base class of every form. Every form carries a
one-time submission key beside its CSRF token, and `change()` stores it with what the service
creates (lti_tool/web/submissions.py: a repeat is shown the first result)."""

import functools
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import flask_wtf
import wtforms
from babel import support
from flask import abort, current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.i18n import messages_path

from lti_tool.extensions import db
from lti_tool.web import submissions


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's form, whose hidden CSRF field renders without an id: a page often holds
    several forms (one per row of a table), and `id="csrf_token"` repeated in one page is
    invalid HTML that assistive technology trips over. Its name is unchanged.

    The CSRF field brings the submission key with it, so that every template that renders
    `{{ form.csrf_token }}` sends one. Each rendering makes a new key (one form instance often
    serves every row of a table); only the form its view checked, shown again with its
    problem, keeps the key it was sent with."""

    class Meta:
        checked = False  # set by validate(): this is the form that was sent

        def get_translations(self, form):
            """WTForms' own messages in the page's language: Flask-WTF reads and parses
            their catalogue from disk on every request (0.26 ms); it is kept per language."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_messages(str(get_locale()))

        def render_field(self, field, render_kw):
            if field.type != "CSRFTokenField":
                return super().render_field(field, render_kw)
            if render_kw:
                token = super().render_field(field, {"id": False, **render_kw})
            else:  # WTForms' own HTML, written directly: 26 of its 31 µs, a form on each row
                token = Markup(  # noqa: S704 - the name and the token are escaped
                    f'<input name="{escape(field.name)}" type="hidden" '
                    f'value="{escape(field.current_token)}">')
            return token + submissions.key_input(keep=self.checked)

    def validate(self, extra_validators=None) -> bool:
        self.meta.checked = True
        return super().validate(extra_validators=extra_validators)


@functools.lru_cache(maxsize=32)
def _wtforms_messages(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class QuickSelect(widgets.Select):
    """WTForms' <select>, each plain option written directly: html_params for each of a
    staff page's long lists of people (a few hundred options) was a sixth of its time.
    Tested against WTForms' own output (tests/web/test_quick_select.py)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if choice.render_kw or kwargs:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = escape(choice.label or choice.value)
        return Markup(  # noqa: S704 - the value and the label are escaped
            f'<option {"selected " if choice.selected else ""}value="{escape(value)}">'
            f"{label}</option>")


class SelectField(wtforms.SelectField):
    widget = QuickSelect()


T = TypeVar("T")


def required(data: T | None) -> T:
    """The data of a field its validators require (InputRequired, DataRequired), read once
    the form has been validated: never None then, though WTForms' types say `X | None`."""
    if data is None:
        raise TypeError("A required field has no data: was the form validated first?")
    return data


def first_error(form) -> str | None:
    """None when the submitted form is valid, else its first problem as "Label: message";
    an expired or forged form (CSRF) is a 400 instead."""
    if form.validate_on_submit():
        return None
    if "csrf_token" in form.errors:
        abort(400, _("The form has expired; reload the page and try again."))
    field, messages = next(iter(form.errors.items()))
    return f"{getattr(form, field).label.text}: {messages[0]}"


class Outcome(NamedTuple):
    result: Any  # what the action returned (None when refused)
    problem: str | None  # why it was refused, for the page to show


def attempt(form, action: Callable[[], Any],
            refusals: type[Exception] | tuple[type[Exception], ...]) -> Outcome:
    """A submitted form and the service call it asks for, as one transaction: committed
    when the form is valid and the service accepts, rolled back otherwise (the caller shows
    the page again with the problem and everything typed still there)."""
    problem = first_error(form)
    if problem is not None:
        db.session.rollback()
        return Outcome(None, problem)
    return change(action, refusals)


def change(action: Callable[[], Any],
           refusals: type[Exception] | tuple[type[Exception], ...]) -> Outcome:
    """A service call as one transaction: committed when it succeeds, rolled back when the
    service refuses (the refusal's message is the problem). In a view marked
    `submissions.idempotent`, the form's key is stored first in the same transaction, and the
    decorator commits once the view has answered (the answer's address goes with it)."""
    try:
        submissions.claim()
        result = action()
    except refusals as exc:
        db.session.rollback()
        submissions.release()
        return Outcome(None, str(exc))
    if not submissions.claimed():
        db.session.commit()
    return Outcome(result, None)
