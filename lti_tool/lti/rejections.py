"""Why a login or launch was refused, in words for the person and for their LMS admin.

pylti1p3 raises a handful of exception classes whose messages carry the reason; `classify`
turns any of them into a `LaunchRejected` with an HTTP status, a short log reason, a message
for the person and a hint for the admin."""

from dataclasses import dataclass

import jwt
from flask_babel import lazy_gettext as _l
from pylti1p3.exception import LtiException, OIDCException, ToolConfException


@dataclass
class LaunchRejected(Exception):
    status: int
    reason: str
    message: str
    hint: str = ""

    def __post_init__(self):
        # Messages are written lazily (module constants); the person reads them in the language
        # of the request that was refused.
        self.message, self.hint = str(self.message), str(self.hint)


CHECK_REGISTRATION = _l(
    "An LMS administrator can compare the issuer, client ID and deployment ID that the "
    "platform sends with the registrations listed on the tool's admin page."
)
LAUNCH_AGAIN = _l("Go back to the course and open the activity again.")

# (substring of the library's message, status, reason, message, hint); first match wins.
_RULES = [
    ("Could not find issuer", 400, "missing_issuer",
     _l("The platform did not say who it is (no issuer)."), CHECK_REGISTRATION),
    ("Could not find login hint", 400, "missing_login_hint",
     _l("The platform's login request is incomplete (no login hint)."), CHECK_REGISTRATION),
    ("Could not find registration", 400, "unknown_platform",
     _l("This learning platform is not registered with Pairwise."), CHECK_REGISTRATION),
    ("Registration not found", 400, "unknown_platform",
     _l("This learning platform is not registered with Pairwise."), CHECK_REGISTRATION),
    ("Client id not registered", 400, "unknown_client",
     _l("The launch names a client ID that is not registered."), CHECK_REGISTRATION),
    ("Missing state param", 400, "missing_state",
     _l("The launch is missing its login state."), LAUNCH_AGAIN),
    ("JWT must contain 3 parts", 400, "malformed_token",
     _l("The launch message is not a valid signed token."), CHECK_REGISTRATION),
    ("can't be decoded", 400, "malformed_token",
     _l("The launch message is not a valid signed token."), CHECK_REGISTRATION),
    ("id_token\" field is empty", 400, "missing_token",
     _l("The launch carries no id_token."), LAUNCH_AGAIN),
    ("KID not found", 401, "bad_signature",
     _l("The launch was not signed with a key Pairwise can check."), CHECK_REGISTRATION),
    ("ALG not found", 401, "bad_signature",
     _l("The launch was not signed with a key Pairwise can check."), CHECK_REGISTRATION),
    ("Unable to find public key", 401, "bad_signature",
     _l("The launch was not signed with one of the platform's published keys."),
     _l("An LMS administrator can check the platform's public keyset (JWKS) URL.")),
    ("public key URL", 502, "jwks_unreachable",
     _l("Pairwise could not fetch the platform's public keys."),
     _l("An LMS administrator can check that the platform's JWKS URL is reachable from the tool.")),
    ("platform's public key", 502, "jwks_unreachable",
     _l("Pairwise could not fetch the platform's public keys."),
     _l("An LMS administrator can check that the platform's JWKS URL is reachable from the tool.")),
    ("deployment ID", 403, "unknown_deployment",
     _l("This deployment of the tool is not registered with Pairwise."), CHECK_REGISTRATION),
    ("Must have a user", 400, "missing_claims",
     _l("The launch does not identify a user; anonymous launches are not supported."),
     _l("An LMS administrator can set the tool's privacy settings to share the user ID.")),
    ("Incorrect version", 400, "missing_claims",
     _l("The launch is not an LTI 1.3 message."), CHECK_REGISTRATION),
    ("Missing Roles Claim", 400, "missing_claims",
     _l("The launch does not say what role you have in the course."), CHECK_REGISTRATION),
    ("message type", 400, "unsupported_message",
     _l("Pairwise does not handle this kind of launch."), CHECK_REGISTRATION),
    ("Missing Resource Link", 400, "missing_claims",
     _l("The launch does not say which activity it opens."), CHECK_REGISTRATION),
    ("Missing Deep Linking", 400, "missing_claims",
     _l("The request to add an activity is missing its settings."), CHECK_REGISTRATION),
    ("Must support", 400, "missing_claims",
     _l("The platform cannot accept a Pairwise activity from this request."), CHECK_REGISTRATION),
    ("Message validation failed", 400, "missing_claims",
     _l("The launch message is missing required information."), CHECK_REGISTRATION),
]


def classify(exc: Exception) -> LaunchRejected:
    if isinstance(exc, LaunchRejected):
        return exc
    text = str(exc)
    for needle, status, reason, message, hint in _RULES:
        if needle in text:
            return LaunchRejected(status, reason, message, hint)
    if isinstance(exc, jwt.ExpiredSignatureError) or "has expired" in text:
        return LaunchRejected(401, "expired_token", _l("The launch expired before it arrived."),
                              _l("Go back to the course and open the activity again. If it "
                                 "keeps happening, check the server clocks."))
    if isinstance(exc, jwt.InvalidTokenError) or "Can't decode id_token" in text:
        return LaunchRejected(401, "bad_signature",
                              _l("The launch message failed its signature or time checks."),
                              CHECK_REGISTRATION)
    if isinstance(exc, LtiException | OIDCException | ToolConfException | KeyError | TypeError):
        return LaunchRejected(400, "invalid_launch", _l("The launch message is not valid."),
                              CHECK_REGISTRATION)
    raise exc


def state_not_found() -> LaunchRejected:
    return LaunchRejected(
        400, "state_not_found",
        _l("This launch does not match a login that Pairwise started, or it took too long."),
        LAUNCH_AGAIN,
    )


def replayed() -> LaunchRejected:
    return LaunchRejected(400, "replayed", _l("This launch has already been used."), LAUNCH_AGAIN)


def nonce_mismatch() -> LaunchRejected:
    return LaunchRejected(400, "nonce_mismatch",
                          _l("The launch does not belong to the login that started it."),
                          LAUNCH_AGAIN)


def issuer_mismatch() -> LaunchRejected:
    return LaunchRejected(400, "issuer_mismatch",
                          _l("The launch came from another platform than the login that "
                             "started it."),
                          CHECK_REGISTRATION)


def bad_audience() -> LaunchRejected:
    return LaunchRejected(401, "bad_audience", _l("The launch was meant for another tool."),
                          CHECK_REGISTRATION)


def bad_target() -> LaunchRejected:
    return LaunchRejected(400, "bad_target_link",
                          _l("The platform asked to open a page that is not part of Pairwise."),
                          _l("An LMS administrator can check the tool URL in the registration."))
