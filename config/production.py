"""Production: PostgreSQL, secrets and URLs only from the environment, no sandbox."""

SANDBOX_ENABLED = False
SQLALCHEMY_DATABASE_URI = None  # PAIRWISE_DATABASE_URL is required
SESSION_COOKIE_SECURE = True
PREFERRED_URL_SCHEME = "https"
PROXY_COUNT = 1
