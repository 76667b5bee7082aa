"""Form helpers shared by the pages."""

from flask import abort


def first_error(form) -> str | None:
    """None when the submitted form is valid, else its first problem as "Label: message";
    an expired or forged form (CSRF) is a 400 instead."""
    if form.validate_on_submit():
        return None
    if "csrf_token" in form.errors:
        abort(400, "The form has expired; reload the page and try again.")
    field, messages = next(iter(form.errors.items()))
    return f"{getattr(form, field).label.text}: {messages[0]}"
