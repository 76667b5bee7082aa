"""The quick <select> (web/forms.py `QuickSelect`) writes exactly what WTForms' own widget
writes, for every kind of option the pages use; so does the CSRF field written directly."""

import pytest
from wtforms import Form, SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3
from wtforms import SelectField as WTFormsSelectField
from wtforms.widgets import Select

from lti_tool.web.choices import choices
from lti_tool.web.forms import FlaskForm, SelectField

CASES = {
    "strings, one chosen": dict(choices=choices([("a", "Alpha"), ("b", "Beta")]), data="b"),
    "ints": dict(choices=choices([(1, "One"), (2, "Two")]), coerce=int, data=2),
    "escaped": dict(choices=choices([('"><script>', "<b>Tom & Jerry</b>")]), data=None),
    "a label left empty": dict(choices=choices([("x", "")]), data="x"),
    "booleans": dict(choices=choices([(True, "Yes"), (False, "No")]), coerce=bool, data=True),
    "groups": dict(choices=[SelectChoice("fr", "France", optgroup="Europe"),
                            SelectChoice("jp", "Japan", optgroup="Asia")], data="jp"),
    "an option with its own attributes": dict(
        choices=[SelectChoice("a", "Alpha", render_kw={"disabled": True}),
                 SelectChoice("b", "Beta")], data="b"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_quick_select_writes_what_wtforms_writes(case):
    options = dict(CASES[case])
    data = options.pop("data")

    class Quick(Form):
        field = SelectField("Pick", **options)

    class Plain(Form):
        field = WTFormsSelectField("Pick", widget=Select(), **options)

    quick, plain = Quick(data={"field": data}), Plain(data={"field": data})
    assert str(quick.field(class_="wide")) == str(plain.field(class_="wide"))


def test_the_csrf_field_written_directly_is_what_wtforms_writes(app):
    """Without attributes of its own the field is written directly; with them WTForms writes
    it. Both: no id (a page holds many forms), then the submission key."""
    with app.test_request_context("/"):
        form = FlaskForm()
        direct = str(form.csrf_token)
        through_wtforms = str(form.csrf_token(data_x="1")).replace('data-x="1" ', "")
    token, key = '<input name="csrf_token" type="hidden" value="', '<input name="submission_key"'
    assert direct.startswith(token) and key in direct and 'id="' not in direct
    # The same token, the same markup; only the (fresh) submission key differs.
    assert direct.split(key)[0] == through_wtforms.split(key)[0]
