"""pylti1p3's ToolConf backed by the `lti_platform` table: every issuer may have many client
ids, and the registration carries the tool's current key with its `kid`.

Registrations come from `registrations.registration` (cached per process, lti/caches.py), and
one launch asks for its registration once: pylti1p3 looks it up for the registration check
and again for the deployment check."""

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract

from lti_tool.lti import keys
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import Registered, registration


class ToolRegistration(Registration):
    """A pylti1p3 Registration that knows its database row and signs with a `kid`
    (pylti1p3 derives the kid from the PEM, which has none, so it would sign without one).
    The tool's key is read when something is signed, not for every launch."""

    def __init__(self, platform: Platform | Registered):
        self.platform_id = platform.id
        self._key: keys.SigningKey | None = None
        self.set_issuer(platform.issuer)
        self.set_client_id(platform.client_id)
        self.set_auth_login_url(platform.auth_login_url)
        self.set_auth_token_url(platform.auth_token_url)
        self.set_key_set_url(platform.key_set_url)
        if platform.auth_audience:
            self.set_auth_audience(platform.auth_audience)

    def get_kid(self) -> str:
        return self._signing_key().kid

    def get_tool_private_key(self) -> str:
        return self._signing_key().private_pem

    def get_tool_public_key(self) -> str:
        return self._signing_key().public_pem

    def _signing_key(self) -> keys.SigningKey:
        # Read once: the kid and the private key of one signature come from the same key.
        if self._key is None:
            self._key = keys.current_signing_key()
        return self._key

    def get_jwks(self):
        return keys.jwks()["keys"]


class DatabaseToolConf(ToolConfAbstract):
    def __init__(self):
        super().__init__()
        self._found: dict[tuple[str, str | None], Registered | None] = {}

    def registered(self, iss: str, client_id: str | None) -> Registered | None:
        """The registration for (iss, client_id), looked up once per request."""
        key = (iss, client_id)
        if key not in self._found:
            self._found[key] = registration(iss, client_id)
        return self._found[key]

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = self.registered(iss, client_id)
        return ToolRegistration(platform) if platform else None

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = self.registered(iss, client_id)
        if platform is None or deployment_id not in platform.deployments:
            return None
        return LtiDeployment().set_deployment_id(deployment_id)

    def get_jwks(self, iss=None, client_id=None, **kwargs):
        return keys.jwks()
