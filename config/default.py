"""Settings shared by every environment. Each can be overridden by `PAIRWISE_<NAME>`."""

TOOL_NAME = "Pairwise"
TOOL_DESCRIPTION = "Mentor matching, meetings and a shared workspace for mentoring pairs."

# The tool's public base URL (scheme://host[:port]) used in the URLs it gives platforms.
# Empty: taken from the request that asks for them.
BASE_URL = ""

# Unset here: development/testing generate one, production refuses to start without it.
SECRET_KEY = None
# Shared secret for the admin pages (manual registration, tool configuration).
ADMIN_TOKEN = None

SQLALCHEMY_DATABASE_URI = "sqlite:///pairwise.db"  # relative to the instance folder
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Sessions are kept server-side (database); the browser holds a cookie and, because LMS iframes
# often lose third-party cookies, every page also carries a signed token with the session id.
SESSION_LIFETIME_SECONDS = 8 * 3600
SESSION_TOKEN_MAX_AGE = 3600
SESSION_COOKIE_NAME = "pairwise_session"

# OIDC login state lives this long between login initiation and launch.
LTI_STATE_LIFETIME_SECONDS = 300
# Seconds of clock skew accepted on id_token iat/exp (Moodle tokens live 60 s).
LTI_CLOCK_SKEW_SECONDS = 10
# Timeout for every outbound HTTP request to a platform (JWKS, tokens, NRPS, AGS).
LTI_HTTP_TIMEOUT_SECONDS = 10
# A rotated-out tool key stays in the JWKS this long so in-flight tokens still verify.
KEY_ROTATION_GRACE_DAYS = 7
TOOL_KEY_BITS = 2048

SANDBOX_ENABLED = False
# Base URL of the sandbox LMS; served by this app under /sandbox on another host name than
# the tool, so that the iframe is cross-site as in a real LMS.
SANDBOX_URL = ""

WTF_CSRF_TIME_LIMIT = None  # the session bounds the token's life
LOG_LEVEL = "INFO"
# Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted
# (needed behind a TLS-terminating proxy so that the tool knows it is served over https).
PROXY_COUNT = 0

# Notifications (lti_tool/notify) are e-mailed over SMTP when MAIL_SERVER is set; without it
# they stay in the outbox table (shown by the sandbox LMS at /sandbox/outbox). They are sent by
# `flask --app wsgi notify send` (cron) or `notify worker`, never during a web request.
MAIL_SERVER = ""
MAIL_PORT = 587
MAIL_USE_STARTTLS = True  # upgrade the connection (port 587); or:
MAIL_USE_TLS = False  # implicit TLS from the first byte (port 465)
MAIL_USERNAME = ""
MAIL_PASSWORD = ""
MAIL_FROM = ""  # required with MAIL_SERVER, e.g. "Pairwise <pairwise@example.edu>"
MAIL_TIMEOUT = 30  # seconds, per SMTP operation
NOTIFY_MAX_ATTEMPTS = 5  # then the notification is "failed" (`flask notify retry-failed`)
NOTIFY_RETRY_SECONDS = 60  # backoff: 1, 2, 4, 8 minutes after failed attempts 1..4
# A claimed notification still "sending" after this long (its worker died) is claimed again.
# Keep it well above MAIL_TIMEOUT.
NOTIFY_CLAIM_TIMEOUT_SECONDS = 900

# Meetings (lti_tool/meetings): video meetings get a fresh room on this Jitsi Meet server
# unless the pair pastes their own link; no account or API key is needed.
JITSI_BASE_URL = "https://meet.jit.si"
