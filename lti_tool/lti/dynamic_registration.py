"""LTI Dynamic Registration (IMS LTI-DR 1.0) on top of pylti1p3's `DynamicRegistration`.

1. The platform opens `/lti/register?openid_configuration=…&registration_token=…`.
2. We fetch the platform's OpenID configuration and check that its `issuer` is a prefix of
   the configuration URL (LTI-DR §3.5.1: a configuration may not speak for another issuer).
3. We POST our client registration (login URL, redirect URIs, JWKS URL, deep linking and
   resource-link messages, AGS and NRPS scopes, claims, name, logo) with the bearer token.
4. We store issuer, client_id, endpoints and the deployment id the platform returns.
5. The completion page posts `{subject: "org.imsglobal.lti.close"}` to the opener/parent.
"""

from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException

from lti_tool.lti.connector import http_session
from lti_tool.lti.context import SUBSTITUTIONS
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import (
    PlatformDetails,
    RegistrationError,
    register_platform,
    tool_urls,
)
from lti_tool.lti.rejections import LaunchRejected

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    # Moodle grants read access to line items only when it is asked for explicitly.
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_SCOPES = [*AGS_SCOPES, NRPS_SCOPE]
CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email", "locale"]


class ToolDynamicRegistration(DynamicRegistration):
    def __init__(self, openid_configuration_url: str, registration_token: str | None):
        self.openid_configuration_url = openid_configuration_url
        self.registration_token = registration_token
        self.urls = tool_urls()
        self.client_name = current_app.config["TOOL_NAME"]
        self.description = current_app.config["TOOL_DESCRIPTION"]

    def get_request_session(self):
        return http_session()

    def get_openid_configuration_endpoint(self) -> str:
        return self.openid_configuration_url

    def get_registration_token(self) -> str | None:
        return self.registration_token

    def get_initiate_login_uri(self) -> str:
        return self.urls["login_url"]

    def get_jwks_uri(self) -> str:
        return self.urls["jwks_url"]

    def get_redirect_uris(self) -> list[str]:
        return [self.urls["launch_url"]]

    def get_target_link_uri(self) -> str:
        return self.urls["launch_url"]

    def get_domain(self) -> str:
        return urlsplit(self.urls["launch_url"]).netloc

    def get_logo_uri(self) -> str:
        return self.urls["icon_url"]

    def get_scopes(self) -> list[str]:
        return TOOL_SCOPES

    def get_claims(self) -> list[str]:
        return CLAIMS

    def get_messages(self) -> list[dict]:
        return [
            {"type": "LtiResourceLinkRequest", "target_link_uri": self.urls["launch_url"],
             "label": self.client_name},
            {"type": "LtiDeepLinkingRequest", "target_link_uri": self.urls["deep_linking_url"],
             "label": f"Add a {self.client_name} mentoring program"},
        ]

    def lti_registration_data(self) -> dict:
        data = super().lti_registration_data()
        data[TOOL_CONFIGURATION]["custom_parameters"] = dict(SUBSTITUTIONS)
        return data

    def get_openid_configuration(self) -> dict:
        configuration = super().get_openid_configuration()
        issuer = configuration.get("issuer") if isinstance(configuration, dict) else None
        if not issuer or not self.openid_configuration_url.startswith(issuer):
            raise RegistrationError(gettext(
                "The platform's configuration names an issuer that does not match its address."
            ))
        return configuration

    def complete_registration(self, openid_configuration: dict, openid_registration: dict):
        tool_configuration = openid_registration.get(TOOL_CONFIGURATION) or {}
        platform_configuration = openid_configuration.get(PLATFORM_CONFIGURATION) or {}
        deployment_id = tool_configuration.get("deployment_id")
        return register_platform(
            PlatformDetails(
                issuer=openid_configuration["issuer"],
                client_id=str(openid_registration["client_id"]),
                auth_login_url=openid_configuration["authorization_endpoint"],
                auth_token_url=openid_configuration["token_endpoint"],
                key_set_url=openid_configuration["jwks_uri"],
                auth_audience=openid_configuration.get("authorization_server"),
                deployment_ids=(str(deployment_id),) if deployment_id else (),
                name=platform_configuration.get("product_family_code", "").title()
                or openid_configuration["issuer"],
                product_family=platform_configuration.get("product_family_code", ""),
                registered_via="dynamic",
            )
        )


def register(openid_configuration_url: str, registration_token: str | None) -> Platform:
    if not openid_configuration_url.startswith(("https://", "http://")):
        raise _failed(400, gettext("The openid_configuration parameter is not an http(s) URL."))
    try:
        return ToolDynamicRegistration(openid_configuration_url, registration_token).register()
    except RegistrationError as exc:
        raise _failed(400, str(exc)) from exc
    except (LtiException, requests.RequestException, ValueError) as exc:
        message = gettext("The platform did not accept the registration (%(reason)s).",
                          reason=_short(exc))
        raise _failed(502, message) from exc
    except (AssertionError, KeyError, TypeError) as exc:
        raise _failed(502, gettext("The platform's answer is not an LTI registration.")) from exc


def _failed(status: int, message: str) -> LaunchRejected:
    return LaunchRejected(status, "registration_failed", message,
                          gettext("Start the registration again from the platform. If it fails "
                                  "again, register the tool manually with the URLs on the tool's "
                                  "admin page."))


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else exc.__class__.__name__
