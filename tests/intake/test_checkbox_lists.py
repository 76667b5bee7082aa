"""The intake's checkbox lists are rendered in one pass (`labelled_options`); the HTML is the
same as WTForms' option fields rendered one by one, escaping and ticks included."""

import pytest
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms.validators import InputRequired, Optional

from lti_tool.intake.forms import MultiCheckboxField
from lti_tool.web.choices import choices

OPTIONS = choices([("careers", "Careers"), ('a"b', "<b>Bold</b> & co"), ("x y", "Ünïcode")])


def _wtforms_html(field) -> Markup:
    return Markup("".join(  # noqa: S704 - WTForms' HTML, the labels escaped
        f"<label>{option()} {escape(option.label.text)}</label>" for option in field))


class _Form(FlaskForm):
    class Meta:
        csrf = False

    topics = MultiCheckboxField("Topics", validators=[Optional()], choices=OPTIONS)
    needed = MultiCheckboxField("Needed", validators=[InputRequired()], choices=OPTIONS)


@pytest.mark.parametrize("ticked", [[], ["careers"], ['a"b', "x y"]])
def test_one_pass_renders_what_wtforms_renders(app, ticked):
    with app.test_request_context():
        form = _Form(data={"topics": ticked, "needed": ticked})
        assert form.topics.labelled_options() == _wtforms_html(form.topics)
        # A required list (and any render_kw) is left to WTForms: it adds attributes.
        assert form.needed.labelled_options() == _wtforms_html(form.needed)
        html = str(form.topics.labelled_options())
        assert html.count(" checked ") == len(ticked)
        assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html and 'value="a&#34;b"' in html
