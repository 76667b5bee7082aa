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
# Dynamic registration starts only from a single-use link the administrator makes (on /admin/
# or `flask --app wsgi lti registration-link`); a link lasts this long unless told otherwise.
REGISTRATION_LINK_HOURS = 72

SQLALCHEMY_DATABASE_URI = "sqlite:///pairwise.db"  # relative to the instance folder
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Sessions are kept server-side (database); the browser holds a cookie and, because LMS iframes
# often lose third-party cookies, every page also carries a signed token with the session id.
SESSION_LIFETIME_SECONDS = 8 * 3600
SESSION_TOKEN_MAX_AGE = 3600
SESSION_COOKIE_NAME = "pairwise_session"
# However often it is used, a session ends this long after the launch (or admin sign-in) that
# started it; SESSION_LIFETIME_SECONDS is its idle lifetime. The admin pages share both.
SESSION_MAX_HOURS = 12
# The admin pages' own session cookie: never framed, so SameSite=Strict, path /admin, and no
# token in their URLs (lti_tool/web/sessions.py).
ADMIN_SESSION_COOKIE_NAME = "pairwise_admin"

# OIDC login state lives this long between login initiation and launch.
LTI_STATE_LIFETIME_SECONDS = 300
# Seconds of clock skew accepted on id_token iat/exp (Moodle tokens live 60 s).
LTI_CLOCK_SKEW_SECONDS = 10
# Timeout for every outbound HTTP request to a platform (JWKS, tokens, NRPS, AGS).
LTI_HTTP_TIMEOUT_SECONDS = 10
# Launch caches (lti_tool/lti/caches.py, issue 17): registrations and the tool's keys are
# cached per process; a change this process commits empties them at once, other processes
# see it within LTI_REGISTRATION_CACHE_SECONDS. A platform's JWKS is kept for its
# Cache-Control max-age (LTI_JWKS_CACHE_SECONDS without one), between LTI_JWKS_MIN_SECONDS
# and LTI_JWKS_MAX_SECONDS; an id_token with an unknown kid refetches it at most once per
# LTI_JWKS_MIN_SECONDS (keys rotate; a stranger's tokens must not make us fetch per request).
LTI_REGISTRATION_CACHE_SECONDS = 60
LTI_JWKS_CACHE_SECONDS = 300
LTI_JWKS_MIN_SECONDS = 30
LTI_JWKS_MAX_SECONDS = 86400
# A returning person's launch records when they launched (enrolment, resource link) only when
# the last record is older than this: a launch with nothing new writes nothing.
LAUNCH_STAMP_SECONDS = 900
# Outbound request policy (lti_tool/lti/outbound.py), checked on every request to a
# platform and every redirect, against the addresses a name resolves to. Lists are separated
# by spaces or commas. Empty here: development and tests talk to the sandbox LMS on loopback;
# production blocks loopback, private and other special-purpose ranges (config/production.py).
# Host names (exact, or "*.example.com" for any name under example.com), IP addresses and
# CIDR ranges the tool never connects to.
OUTBOUND_BLOCKED_HOSTS = ""
# Exceptions that win over the blocked list, same forms, e.g. a campus Moodle on a private
# address: PAIRWISE_OUTBOUND_ALLOWED_HOSTS="10.1.2.3 moodle.internal.example.edu".
OUTBOUND_ALLOWED_HOSTS = ""
OUTBOUND_ALLOWED_PORTS = ""  # e.g. "80 443"; empty: any port
OUTBOUND_HTTPS_ONLY = False  # refuse plain http:// URLs
# A rotated-out tool key stays in the JWKS this long so in-flight tokens still verify.
KEY_ROTATION_GRACE_DAYS = 7
TOOL_KEY_BITS = 2048

SANDBOX_ENABLED = False
# Base URL of the sandbox LMS; served by this app under /sandbox on another host name than
# the tool, so that the iframe is cross-site as in a real LMS.
SANDBOX_URL = ""

WTF_CSRF_TIME_LIMIT = None  # the session bounds the token's life
LOG_LEVEL = "INFO"
# The largest request body read, in bytes; a larger one is a 413. The largest legitimate ones
# are a conversation guide (20,000 characters of Markdown: at most ~240 KB form-encoded) and
# a launch or deep-linking post (an id_token of a few KB). Form bodies are also bounded by
# Flask's MAX_FORM_MEMORY_SIZE (500,000 bytes).
MAX_CONTENT_LENGTH = 1024 * 1024
# Seconds a client is asked to wait (Retry-After) when the database cannot be reached (a 503
# from every page, and from /healthz).
UNAVAILABLE_RETRY_AFTER_SECONDS = 30
# Folders of compiled translations (";"-separated); empty: lti_tool/translations. README,
# "Languages". Pages are in the launch's locale when a translation exists, else English.
BABEL_TRANSLATION_DIRECTORIES = ""
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
# An e-mail's unsubscribe link works this long: people unsubscribe from old e-mails too.
NOTIFY_UNSUBSCRIBE_DAYS = 365
# An e-mail's link goes through the LMS (lti_tool/courses/landing.py): it works this many days
# after it was sent, and the person's launch within LANDING_SECONDS of following it opens the
# page the e-mail is about.
LANDING_LINK_DAYS = 60
LANDING_SECONDS = 600

# Meetings (lti_tool/meetings): video meetings get a fresh room on this Jitsi Meet server
# unless the pair pastes their own link; no account or API key is needed.
JITSI_BASE_URL = "https://meet.jit.si"

# Security (lti_tool/security): headers, rate limits, audit log.
# Extra origins (scheme://host[:port]) allowed to frame the tool and receive its forms, beyond
# the registered platforms' issuer and login URL origins (which are added automatically), for
# an LMS whose course pages live on another host than its issuer (e.g. Canvas). Separated by
# spaces or commas, e.g. PAIRWISE_CSP_EXTRA_ORIGINS="https://school.instructure.com".
CSP_EXTRA_ORIGINS = ""
# How long the platform origins in the Content-Security-Policy are cached per process; a
# registration change made by this process refreshes them at once.
CSP_PLATFORM_CACHE_SECONDS = 30
# Strict-Transport-Security, sent only over https (on in production).
HSTS_ENABLED = False
HSTS_SECONDS = 365 * 24 * 3600
HSTS_INCLUDE_SUBDOMAINS = True
# Fixed-window limits per client IP ("<count>/<second|minute|hour|day>", or "<count>/<n>
# minutes"), counted in the database so every worker on every machine shares them. Behind a
# proxy set PROXY_COUNT, or every client shares the proxy's address. A whole campus behind one
# NAT address launches together at the start of a lecture: keep the launch limits generous.
# None: on, except under TESTING (the suite's tests of rate limits switch it on themselves).
RATE_LIMIT_ENABLED = None
# Per client address: a lecture hall of 300 behind one NAT address logs in and launches at
# once (with reloads and second tabs), so these two are high; they stop floods of login
# initiations (each stores a state and nonce) and of forged id_tokens.
RATE_LIMIT_LOGIN = "1200/minute"  # /lti/login (OIDC login initiation)
RATE_LIMIT_LAUNCH = "1200/minute"  # /lti/launch (id_token validation)
# Per person (issuer and subject), once the id_token is verified: one account launching in a
# loop (each launch opens a session and writes its records), from however many addresses.
RATE_LIMIT_LAUNCH_PERSON = "30/minute"
# Per client address, exact (one write per attempt): registration abuse, and credential
# stuffing of the admin sign-in.
RATE_LIMIT_REGISTER = "30/minute"  # /lti/register (dynamic registration; fetches URLs)
RATE_LIMIT_ADMIN_SIGN_IN = "10/minute"  # POST /admin/sign-in (guessing the admin token)

# Participation grades (lti_tool/grades): score changes wait in an outbox and are posted to the
# LMS gradebook (AGS) by `flask --app wsgi grades sync` (cron) or `grades worker`, never during
# a web request; `grades roster-sync` (cron) flags people who left the course.
# Recompute the members' scores in the transaction of each change that can move them.
GRADES_FOLLOW_ACTIVITY = True
GRADES_MAX_ATTEMPTS = 6  # then the change is "failed" (`flask grades retry-failed`)
GRADES_RETRY_SECONDS = 60  # backoff: 1, 2, 4, 8, 16 minutes after failed attempts 1..5
# A person whose scores a worker claimed and did not finish within this long (it died) is
# claimed again. Keep it well above LTI_HTTP_TIMEOUT_SECONDS.
GRADES_CLAIM_TIMEOUT_SECONDS = 300
