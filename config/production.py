"""Production: PostgreSQL, secrets and URLs only from the environment, no sandbox.

Required in the environment (the app refuses to start without them):
`PAIRWISE_SECRET_KEY`, `PAIRWISE_ADMIN_TOKEN`, `PAIRWISE_DATABASE_URL`
(`postgresql+psycopg://user:password@host/db`; SQLite is only for development: every worker
shares sessions, launch state and rate limits through the database), and `PAIRWISE_BASE_URL`
(the public https URL). `PAIRWISE_PROXY_COUNT` is the number of reverse proxies in front of
the app whose X-Forwarded-For/-Proto/-Host are trusted: 1 behind one nginx (deploy/nginx.conf),
2 behind a load balancer and nginx, 0 only if gunicorn faces the Internet itself.

Served by gunicorn with deploy/gunicorn.conf.py (`gunicorn -c deploy/gunicorn.conf.py
wsgi:app`), whose settings come from the environment: `PAIRWISE_BIND` (127.0.0.1:8000),
`WEB_CONCURRENCY` (worker processes; default 2 per core), `PAIRWISE_THREADS` (threads per
worker, 4), `PAIRWISE_TIMEOUT` (30 s). Each worker keeps its own database pool of
`pool_size` + `max_overflow` connections: workers x (5 + 10) must stay below PostgreSQL's
max_connections together with the notify and grades workers.
"""

SANDBOX_ENABLED = False
SQLALCHEMY_DATABASE_URI = None  # PAIRWISE_DATABASE_URL is required
SQLALCHEMY_ENGINE_OPTIONS = {
    "pool_pre_ping": True,  # a connection dropped by PostgreSQL or a firewall is replaced
    "pool_size": 5,
    "max_overflow": 10,
    "pool_recycle": 1800,
}
# The cookie must travel in the LMS iframe (cross-site): Secure + SameSite=None + Partitioned
# (CHIPS) are set by lti_tool/web/sessions.py whenever the cookie is Secure.
SESSION_COOKIE_SECURE = True
PREFERRED_URL_SCHEME = "https"
PROXY_COUNT = 1
# Strict-Transport-Security: one year, subdomains included, sent only over https.
HSTS_ENABLED = True
HSTS_SECONDS = 365 * 24 * 3600
HSTS_INCLUDE_SUBDOMAINS = True
RATE_LIMIT_ENABLED = True
LOG_LEVEL = "INFO"
