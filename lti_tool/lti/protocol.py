"""pylti1p3's Flask login and launch classes, adapted to a multi-worker, iframe-embedded tool.

OIDC third-party initiated login (LTI 1.3 core §5.1.1, Security Framework §5.1.1):
1. The platform sends `iss`, `login_hint`, `target_link_uri` (and `client_id`,
   `lti_deployment_id`, `lti_message_hint`) by GET or, Moodle, a cross-site POST.
2. `ToolOIDCLogin` finds the registration, makes a `nonce` and a `state` that carries the
   nonce and the registration's issuer and client id, signed with the app's secret and
   timestamped, and redirects to the platform's auth endpoint. The login stores nothing: a
   lecture hall's logins cost no write, and a flood of them fills no table.
3. The platform posts back `id_token` and `state` to the launch URL.
4. `ToolMessageLaunch.validate` checks, in this order: the state is one we signed and is
   still fresh (LTI_STATE_LIFETIME_SECONDS); the token's format; the registration (iss +
   client_id), which must be the one the login was for (another registered platform's token
   is refused even with this login's nonce and a valid signature of its own); the signature
   against the platform's JWKS (refetched if the kid is unknown, at most once per interval:
   keys rotate), exp/iat with a small leeway; the audience (and azp); the deployment; the
   message's required claims; and only then the nonce, which must equal the state's.
5. `ToolMessageLaunch.spend` marks the nonce used (a row only one launch can insert): an
   id_token is accepted exactly once (pylti1p3 alone never consumes nonces). The launch
   (launches/views.py) spends it after its reads and before its first write, so that its
   writes come together (SQLite lets one writer at a time); a transaction that would commit
   a validated launch not yet spent fails instead (`_refuse_unspent`).

The registration comes from the process's cache (lti/caches.py) and the platform's keys from
its cached JWKS (lti/platform_keys.py): a warm launch reads no registration or key row and
fetches nothing.

pylti1p3's state cookie (`lti1p3-state-...`, 5 minutes) is not set: in an iframe with
third-party cookies blocked it never arrives, the signed state plus single-use nonce stand in
for it, and a new one per login piled up in a browser that relaunched often.
"""

import hmac
import logging
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from pylti1p3.contrib.flask import FlaskCookieService, FlaskMessageLaunch, FlaskOIDCLogin
from pylti1p3.contrib.flask.session import FlaskSessionService
from pylti1p3.exception import LtiKeyException, LtiMessageValidationException
from sqlalchemy.orm import Session

from lti_tool.extensions import db
from lti_tool.lti import platform_keys, rejections
from lti_tool.lti.connector import ToolServiceConnector, http_session
from lti_tool.lti.storage import DatabaseLaunchDataStorage

log = logging.getLogger(__name__)


class StateBoundSessionService(FlaskSessionService):
    """The nonce and the login's registration travel inside the signed state
    (`ToolOIDCLogin`), where the launch reads them: pylti1p3's nonce and state rows are
    never read, so they are not written."""

    def save_nonce(self, nonce: str) -> None:
        return None

    def save_state_params(self, state: str, params: dict) -> None:
        return None


class NoStateCookie(FlaskCookieService):
    """Nothing reads the state cookie (see the module's docstring): it is not set."""

    def set_cookie(self, name, value, exp=3600) -> None:
        return None


class ToolOIDCLogin(FlaskOIDCLogin):
    def __init__(self, request, tool_conf):
        super().__init__(request, tool_conf, session_service=StateBoundSessionService(request),
                         cookie_service=NoStateCookie(request))
        self._state_params = {}  # this login's own (pylti1p3's default is shared by all)

    def _generate_nonce(self) -> str:
        # pylti1p3 makes the nonce once it knows the registration: bind the two (the client
        # id is the one the auth request names, whether or not the platform's login sent it).
        nonce = secrets.token_urlsafe(32)
        self._state_params.update(nonce=nonce, iss=self._registration.get_issuer(),
                                  client_id=self._registration.get_client_id())
        return nonce

    def _prepare_redirect_url(self, launch_url: str) -> str:
        """pylti1p3's auth request, its random state replaced by the signed one."""
        url = urlsplit(super()._prepare_redirect_url(launch_url))
        signed = _states().dumps(self._state_params)
        query = [(name, signed if name == "state" else value)
                 for name, value in parse_qsl(url.query, keep_blank_values=True)]
        return urlunsplit(url._replace(query=urlencode(query)))


class ToolMessageLaunch(FlaskMessageLaunch):
    # `from_cache` passes the library's defaults as keywords; these choices replace them.
    def __init__(self, request, tool_conf, **_library_defaults):
        self._storage = DatabaseLaunchDataStorage()
        super().__init__(
            request,
            tool_conf,
            launch_data_storage=self._storage,
            requests_session=http_session(),
            service_connector_cls=ToolServiceConnector,
        )
        self.set_launch_data_lifetime(current_app.config["SESSION_LIFETIME_SECONDS"])
        self._bound_state: dict = {}

    @classmethod
    def restore(cls, launch_id, request, tool_conf) -> "ToolMessageLaunch":
        """A launch saved earlier, with working AGS/NRPS clients: pylti1p3's `from_cache`
        alone falls back to the base ServiceConnector, which raises NotImplementedError on
        its first token; our constructor always installs `ToolServiceConnector`."""
        return cls.from_cache(launch_id, request, tool_conf)

    def validate(self):
        if self._restored:
            raise LtiMessageValidationException("A restored launch can't be validated.")
        self._validated = True
        try:
            return (
                self.validate_state()
                .validate_jwt_format()
                .validate_claim_shapes()
                .validate_registration()
                .validate_login_binding()
                .validate_jwt_signature()
                .validate_audience()
                .validate_deployment()
                .validate_message()
                .validate_nonce()
                .save_launch_data()
                ._owe_spending()
            )
        except Exception:
            self._validated = False
            raise

    def validate_state(self):
        state = self._get_request_param("state")
        if not state:
            raise LtiMessageValidationException("Missing state param")
        try:
            params = _states().loads(state, max_age=current_app.config[
                "LTI_STATE_LIFETIME_SECONDS"])
        except BadData:  # not ours, altered, or too old
            raise rejections.state_not_found() from None
        if not isinstance(params, dict) or not {"nonce", "iss", "client_id"} <= params.keys():
            raise rejections.state_not_found()
        self._bound_state = params
        return self

    def validate_login_binding(self):
        """The id_token's registration (found by its iss and aud) is the one whose login made
        the state. Checked before the signature: a refusal needs no key of the other platform."""
        bound = (self._bound_state["iss"], self._bound_state["client_id"])
        found = (self._registration.get_issuer(), self._registration.get_client_id())
        if found != bound:
            log.info("launch refused: login for iss=%r client_id=%r, id_token for iss=%r "
                     "client_id=%r", *bound, *found)
            raise rejections.issuer_mismatch()
        return self

    def validate_jwt_signature(self):
        public_key, alg = self.get_public_key()
        try:
            jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=[alg],
                options={"verify_aud": False, "require": ["exp", "iat"]},
                leeway=current_app.config["LTI_CLOCK_SKEW_SECONDS"],
            )
        except jwt.InvalidTokenError as exc:
            raise LtiMessageValidationException(f"Can't decode id_token: {exc}") from exc
        return self

    def get_public_key(self):
        """The platform's key for this token, from the process's JWKS cache
        (lti/platform_keys.py: fetched again when it expires or, at most once per interval,
        when the token's kid is unknown: keys rotate)."""
        header = self._jwt.get("header", {})
        kid, alg = header.get("kid"), header.get("alg")
        if not kid:
            raise LtiKeyException("JWT KID not found")
        if not alg:
            raise LtiKeyException("JWT ALG not found")
        key = platform_keys.public_key(self._registration.platform_id,
                                       self._registration.get_key_set_url() or "",
                                       kid, alg, self._requests_session)
        return key, alg

    def validate_claim_shapes(self):
        """Claims pylti1p3 reads without checking their type (an audience that is not a
        string or a non-empty list of strings, a resource link or context that is not an
        object), and a subject longer than the 255 characters LTI allows, refused as an
        invalid launch before anything reads them."""
        body = self._get_jwt_body()
        aud = body.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if not audiences or not all(isinstance(a, str) and a for a in audiences):
            raise LtiMessageValidationException("The audience (aud) is not a client id.")
        for claim in ("resource_link", "context", "launch_presentation", "tool_platform"):
            if LTI_CLAIM + claim in body and not isinstance(body[LTI_CLAIM + claim], dict):
                raise LtiMessageValidationException(f"The {claim} claim is not an object.")
        sub = body.get("sub")
        if sub is not None and (not isinstance(sub, str) or len(sub) > MAX_SUBJECT):
            raise LtiMessageValidationException("The subject (sub) is not an LTI user id.")
        return self

    def validate_audience(self):
        body = self._get_jwt_body()
        aud = body.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        client_id = self._registration.get_client_id()
        azp = body.get("azp")
        if client_id not in audiences or (len(audiences) > 1 or azp) and azp != client_id:
            raise rejections.bad_audience()
        return self

    def validate_nonce(self):
        nonce = self._get_jwt_body().get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise LtiMessageValidationException('The "nonce" field is empty.')
        if not hmac.compare_digest(nonce, self._bound_state["nonce"]):
            raise rejections.nonce_mismatch()
        return self

    def _owe_spending(self):
        # Owed by this transaction: a rollback ends it, and what it wrote with it.
        session = db.session()
        session.info[_UNSPENT] = session.get_transaction() or session.begin()
        return self

    def spend(self) -> None:
        """Mark the validated launch's nonce used, in the caller's transaction: its
        used-marker is inserted by exactly one launch, even when two race (the other finds
        the key taken, once the first commits, and is refused as a replay)."""
        if not self._validated:
            raise LtiMessageValidationException("Only a validated launch can be spent.")
        lifetime = current_app.config["LTI_STATE_LIFETIME_SECONDS"]
        if not self._storage.claim(_used_key(self._bound_state["nonce"]), exp=lifetime):
            raise rejections.replayed()
        db.session.info.pop(_UNSPENT, None)

    def save_launch_data(self):
        """Only a deep-linking launch is kept whole: its answer (lti/deep_linking.py) is made
        from its claims on a later request. A resource-link launch is recorded as rows
        (courses/services.py) and its claims are not kept: a statement fewer per launch, and
        no day-long copy of each launcher's name and e-mail."""
        if self.is_deep_link_launch():
            self._session_service.save_launch_data(self._launch_id, self._jwt["body"])
        return self


LTI_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MAX_SUBJECT = 255  # LTI 1.3 core: sub is at most 255 ASCII characters


def _states() -> URLSafeTimedSerializer:
    """Signs and checks login states: only this app's secret makes one."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="pairwise.lti-state")


def _used_key(nonce: str) -> str:
    """Marks a spent login (its nonce, which its state carries)."""
    return "used-" + nonce


_UNSPENT = "pairwise.unspent_launch"


@sa.event.listens_for(Session, "before_commit")
def _refuse_unspent(session: Session) -> None:
    """A launch's writes are never committed while its id_token could be posted again."""
    owed = session.info.pop(_UNSPENT, None)
    if owed is not None and owed is session.get_transaction():
        raise RuntimeError("A validated launch must be spent (ToolMessageLaunch.spend) before "
                           "its transaction commits.")
