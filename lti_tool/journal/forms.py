"""Forms of the journal pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from lti_tool.i18n import translated
from lti_tool.journal.models import ACTION_STATUSES
from lti_tool.journal.services import LIMITS
from lti_tool.web.choices import choices
from lti_tool.web.forms import FlaskForm, SelectField


class RecapForm(FlaskForm):
    meeting = SelectField(_l("Which meeting"), validate_choice=False)  # "meeting id|UTC ISO" or ""
    takeaways = TextAreaField(_l("What you take away"), validators=[
        InputRequired(), Length(max=LIMITS["takeaways"])])
    notes = TextAreaField(_l("Notes (optional)"), validators=[Optional(),
                                                          Length(max=LIMITS["notes"])])
    shared = BooleanField(_l("Share this recap with the program staff"))
    action_title = StringField(_l("New action item (optional)"), validators=[
        Optional(), Length(max=LIMITS["title"])])
    action_owner = SelectField(_l("Whose"), coerce=int, validate_choice=False)
    action_due = DateField(_l("Due"), validators=[Optional()])


class EditRecapForm(FlaskForm):
    takeaways = TextAreaField(_l("What you take away"), validators=[
        InputRequired(), Length(max=LIMITS["takeaways"])])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=LIMITS["notes"])])
    shared = BooleanField(_l("Shared with the program staff"))


class ActionForm(FlaskForm):
    title = StringField(_l("Action item"), validators=[InputRequired(),
                                                   Length(max=LIMITS["title"])])
    owner = SelectField(_l("Whose"), coerce=int, validate_choice=False)
    due_on = DateField(_l("Due"), validators=[Optional()])


class ActionStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=choices(translated(ACTION_STATUSES).items()))


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Your message"), validators=[InputRequired(),
                                                     Length(max=LIMITS["message"])])


class EmailForm(FlaskForm):
    email = HiddenField()  # "on" or "off"
