"""Forms of the guide pages."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from lti_tool.guides.services import LIMITS, MAX_WEEK


class GuideForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=LIMITS["title"])])
    week = IntegerField("Suggested week (optional)", validators=[
        Optional(), NumberRange(min=1, max=MAX_WEEK, message=f"From 1 to {MAX_WEEK}.")])
    body = TextAreaField("Guide text (Markdown)", validators=[
        InputRequired(), Length(max=LIMITS["body"])])


class ChooseForm(FlaskForm):
    meeting = SelectField("For which meeting", validate_choice=False)  # a meeting id or ""


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(("up", "down"))])
