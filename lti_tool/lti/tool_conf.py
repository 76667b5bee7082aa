"""pylti1p3's ToolConf backed by the `lti_platform` table: every issuer may have many client
ids, and the registration carries the tool's current key with its `kid`."""

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract

from lti_tool.lti import keys
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import find_platform


class ToolRegistration(Registration):
    """A pylti1p3 Registration that knows its database row and signs with a `kid`
    (pylti1p3 derives the kid from the PEM, which has none, so it would sign without one)."""

    def __init__(self, platform: Platform):
        key = keys.signing_key()
        self.platform_id = platform.id
        self._kid = key.kid
        self.set_issuer(platform.issuer)
        self.set_client_id(platform.client_id)
        self.set_auth_login_url(platform.auth_login_url)
        self.set_auth_token_url(platform.auth_token_url)
        self.set_key_set_url(platform.key_set_url)
        if platform.auth_audience:
            self.set_auth_audience(platform.auth_audience)
        self.set_tool_private_key(key.private_pem)
        self.set_tool_public_key(key.public_pem)

    def get_kid(self) -> str:
        return self._kid

    def get_jwks(self):
        return keys.jwks()["keys"]


class DatabaseToolConf(ToolConfAbstract):
    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = find_platform(iss, client_id)
        return ToolRegistration(platform) if platform else None

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = find_platform(iss, client_id)
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return LtiDeployment().set_deployment_id(deployment_id)

    def get_jwks(self, iss=None, client_id=None, **kwargs):
        return keys.jwks()
