"""Forms of the guide pages."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from lti_tool.guides.services import LIMITS, MAX_WEEK
from lti_tool.web.forms import FlaskForm, SelectField


class GuideForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=LIMITS["title"])])
    week = IntegerField(_l("Suggested week (optional)"), validators=[
        Optional(), NumberRange(min=1, max=MAX_WEEK, message=_l("From %(min)s to %(max)s."))])
    body = TextAreaField(_l("Guide text (Markdown)"), validators=[
        InputRequired(), Length(max=LIMITS["body"])])


class ChooseForm(FlaskForm):
    meeting = SelectField(_l("For which meeting"), validate_choice=False)  # a meeting id or ""


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(("up", "down"))])
