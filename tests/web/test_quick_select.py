"""The quick <select> (web/forms.py `QuickSelect`) writes exactly what WTForms' own widget
writes, for every kind of option the pages use."""

import pytest
from wtforms import Form, SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3
from wtforms import SelectField as WTFormsSelectField
from wtforms.widgets import Select

from lti_tool.web.choices import choices
from lti_tool.web.forms import SelectField

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
