"""Admin forms: sign-in with the admin token, registration links, manual platform
registration, and a platform's LMS role mapping."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from lti_tool.lti.roles import MAPPABLE_ROLES, MappingError, parse_mapping
from lti_tool.web.choices import choices
from lti_tool.web.forms import FlaskForm, SelectField, required


class AdminSignInForm(FlaskForm):
    token = PasswordField(_l("Admin token"), validators=[DataRequired()])


def _url(label: str, required: bool = True):
    checks = [DataRequired()] if required else [Optional()]
    return StringField(label, validators=[*checks, URL(require_tld=False), Length(max=1024)])


class PlatformForm(FlaskForm):
    name = StringField(_l("Name (for you)"), validators=[Optional(), Length(max=255)])
    issuer = _url(_l("Platform ID (issuer)"))
    client_id = StringField(_l("Client ID"), validators=[DataRequired(), Length(max=255)])
    auth_login_url = _url(_l("Authentication request URL"))
    auth_token_url = _url(_l("Access token URL"))
    key_set_url = _url(_l("Public keyset URL"))
    auth_audience = _url(_l("Token audience (if not the access token URL)"), required=False)
    deployment_ids = TextAreaField(
        _l("Deployment ID(s), one per line"), validators=[DataRequired(), Length(max=2000)]
    )

    def deployment_list(self) -> tuple[str, ...]:
        """Once the form is valid (the field is required)."""
        lines = required(self.deployment_ids.data).splitlines()
        return tuple(line.strip() for line in lines if line.strip())


class RegistrationLinkForm(FlaskForm):
    label = StringField(_l("What the link is for (for you)"),
                        validators=[Optional(), Length(max=255)])
    expected_issuer = StringField(
        _l("Platform ID (issuer) it is for, if you know it"),
        description=_l("For Moodle, the site's address, e.g. https://moodle.example.edu. Left "
                       "empty, any platform can use the link once."),
        validators=[Optional(), URL(require_tld=False), Length(max=255)])
    hours = SelectField(_l("Valid for"), coerce=int, default=72, choices=choices([
        (24, _l("1 day")), (72, _l("3 days")), (168, _l("7 days")), (720, _l("30 days"))]))


class RoleMappingForm(FlaskForm):
    role_mapping = TextAreaField(
        _l("LMS roles to Pairwise roles, one per line"),
        description=_l("For example “NonEditingTeacher -> mentor”. LMS roles: %(roles)s. "
                       "Pairwise roles: staff, mentor, learner. Empty: the defaults.",
                       roles=", ".join(MAPPABLE_ROLES)),
        validators=[Optional(), Length(max=1000)])

    def validate_role_mapping(self, field) -> None:
        try:
            parse_mapping(field.data or "")
        except MappingError as exc:
            raise ValidationError(gettext("This line cannot be read: “%(line)s”. Write an LMS "
                                         "role, an arrow and staff, mentor or learner; each "
                                         "LMS role once.", line=str(exc))) from exc

    def mapping(self) -> dict[str, str]:
        """Once the form is valid."""
        return parse_mapping(self.role_mapping.data or "")
