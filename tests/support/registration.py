"""A platform's side of LTI Dynamic Registration, served over real HTTP on loopback, whose
answers a test chooses: its OpenID configuration (any issuer, any endpoints) and its answer to
the tool's client registration (any client_id). It plays the LMS a registration link is meant
for, and the hostile "platform" an attacker would stand up. Every request it receives is kept,
so a test can prove the tool fetched nothing."""

import json

from werkzeug.wrappers import Request, Response

from tests.support.servers import ThreadedServer

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


class RegistrationDouble:
    def __init__(self, client_id: str = "dyn-client-1", deployment_id: str = "7"):
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.registrations: list[dict] = []  # the tool's client registrations, as posted
        self.client_id = client_id
        self.deployment_id = deployment_id
        # Fields a test adds to (or, as None, removes from) the platform's answers.
        self.configuration_changes: dict = {}
        self.answer_changes: dict = {}
        self._server = ThreadedServer(self._wsgi)
        self.origin = f"http://127.0.0.1:{self._server.port}"
        self.issuer = self.origin  # what the configuration claims; a test may change it
        self.configuration_url = self.origin + "/mod/lti/openid-configuration.php"

    def configuration(self) -> dict:
        return _changed(self._configuration(), self.configuration_changes)

    def _configuration(self) -> dict:
        base = self.origin
        return {
            "issuer": self.issuer,
            "authorization_endpoint": base + "/mod/lti/auth.php",
            "token_endpoint": base + "/mod/lti/token.php",
            "jwks_uri": base + "/mod/lti/certs.php",
            "registration_endpoint": base + "/mod/lti/openid-registration.php",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "scopes_supported": ["openid"],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            PLATFORM_CONFIGURATION: {"product_family_code": "moodle", "version": "5.1"},
        }

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        self.requests.append((request.method, request.path))
        if request.path == "/mod/lti/openid-configuration.php":
            response = _json(self.configuration())
        elif request.path == "/mod/lti/openid-registration.php" and request.method == "POST":
            self.registrations.append(request.get_json(silent=True) or {})
            response = _json(_changed({"client_id": self.client_id, TOOL_CONFIGURATION: {
                "deployment_id": self.deployment_id}}, self.answer_changes))
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def close(self) -> None:
        self._server.close()


def _changed(body: dict, changes: dict) -> dict:
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def _json(body: dict) -> Response:
    return Response(json.dumps(body), mimetype="application/json")
