"""Form helpers shared by the pages, and the base class of every form."""

from collections.abc import Callable
from typing import Any, NamedTuple

import flask_wtf
from flask import abort
from flask_babel import gettext as _

from lti_tool.extensions import db


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's form, whose hidden CSRF field renders without an id: a page often holds
    several forms (one per row of a table), and `id="csrf_token"` repeated in one page is
    invalid HTML that assistive technology trips over. Its name is unchanged."""

    class Meta:
        def render_field(self, field, render_kw):
            if field.type == "CSRFTokenField":
                render_kw = {"id": False, **render_kw}
            return super().render_field(field, render_kw)


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
    service refuses (the refusal's message is the problem)."""
    try:
        result = action()
    except refusals as exc:
        db.session.rollback()
        return Outcome(None, str(exc))
    db.session.commit()
    return Outcome(result, None)
