"""Admin forms: sign-in with the admin token, and manual platform registration."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional


class AdminSignInForm(FlaskForm):
    token = PasswordField("Admin token", validators=[DataRequired()])


def _url(label: str, required: bool = True):
    checks = [DataRequired()] if required else [Optional()]
    return StringField(label, validators=[*checks, URL(require_tld=False), Length(max=1024)])


class PlatformForm(FlaskForm):
    name = StringField("Name (for you)", validators=[Optional(), Length(max=255)])
    issuer = _url("Platform ID (issuer)")
    client_id = StringField("Client ID", validators=[DataRequired(), Length(max=255)])
    auth_login_url = _url("Authentication request URL")
    auth_token_url = _url("Access token URL")
    key_set_url = _url("Public keyset URL")
    auth_audience = _url("Token audience (if not the access token URL)", required=False)
    deployment_ids = TextAreaField(
        "Deployment ID(s), one per line", validators=[DataRequired(), Length(max=2000)]
    )

    def deployment_list(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.deployment_ids.data.splitlines() if line.strip())
