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
# Outbound request policy (lti_tool/lti/outbound.py): platforms are reached over https on
# the standard ports, never at an address of the tool's own machine or network. A platform on
# a private address is let through with PAIRWISE_OUTBOUND_ALLOWED_HOSTS; setting
# PAIRWISE_OUTBOUND_BLOCKED_HOSTS replaces this whole list.
OUTBOUND_BLOCKED_HOSTS = (
    "localhost", "*.localhost",  # RFC 6761; the addresses below catch any other alias
    # IPv4: "this network" (0.0.0.0 reaches the machine itself), private (RFC 1918),
    # carrier-grade NAT, loopback, link-local (169.254.169.254: cloud metadata)
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.168.0.0/16",
    # IETF protocol assignments, documentation, 6to4 relay, benchmarking, multicast, reserved
    # and broadcast
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    # IPv6 (IPv4-mapped ::ffff:a.b.c.d is checked as a.b.c.d): unspecified, loopback and the
    # old IPv4-compatible ::a.b.c.d; NAT64 and 6to4 and Teredo (they embed an IPv4 address);
    # discard; documentation; unique local (fd00:ec2::254: cloud metadata); link-local;
    # old site-local; multicast
    "::/128", "::1/128", "::/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16",
    "2001::/32", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10",
    "ff00::/8",
)
OUTBOUND_ALLOWED_PORTS = "80 443"
OUTBOUND_HTTPS_ONLY = True
