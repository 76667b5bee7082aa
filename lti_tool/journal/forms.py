"""Forms of the journal pages."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from lti_tool.journal.models import ACTION_STATUSES
from lti_tool.journal.services import LIMITS
from lti_tool.web.choices import choices


class RecapForm(FlaskForm):
    meeting = SelectField("Which meeting", validate_choice=False)  # "meeting id|UTC ISO" or ""
    takeaways = TextAreaField("What you take away", validators=[
        InputRequired(), Length(max=LIMITS["takeaways"])])
    notes = TextAreaField("Notes (optional)", validators=[Optional(),
                                                          Length(max=LIMITS["notes"])])
    shared = BooleanField("Share this recap with the program staff")
    action_title = StringField("New action item (optional)", validators=[
        Optional(), Length(max=LIMITS["title"])])
    action_owner = SelectField("Whose", coerce=int, validate_choice=False)
    action_due = DateField("Due", validators=[Optional()])


class EditRecapForm(FlaskForm):
    takeaways = TextAreaField("What you take away", validators=[
        InputRequired(), Length(max=LIMITS["takeaways"])])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=LIMITS["notes"])])
    shared = BooleanField("Shared with the program staff")


class ActionForm(FlaskForm):
    title = StringField("Action item", validators=[InputRequired(),
                                                   Length(max=LIMITS["title"])])
    owner = SelectField("Whose", coerce=int, validate_choice=False)
    due_on = DateField("Due", validators=[Optional()])


class ActionStatusForm(FlaskForm):
    status = SelectField("Status", choices=choices(ACTION_STATUSES.items()))


class MessageForm(FlaskForm):
    body = TextAreaField("Your message", validators=[InputRequired(),
                                                     Length(max=LIMITS["message"])])


class EmailForm(FlaskForm):
    email = HiddenField()  # "on" or "off"
