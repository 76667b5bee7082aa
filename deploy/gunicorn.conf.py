"""gunicorn settings for Pairwise: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment, so that the same file serves a small VM and
a larger one. Threads suit the app: a request mostly waits on PostgreSQL or, during a launch,
on the platform's JWKS (LTI_HTTP_TIMEOUT_SECONDS). Each worker process has its own database
pool (config/production.py: 5 + 10 overflow): keep workers x 15 under PostgreSQL's
max_connections, with room for the notify and grades workers.
"""

import gc
import multiprocessing
import os

from gunicorn.glogging import Logger

from lti_tool.security.redaction import install as redact_session_tokens

# Behind nginx on the same machine (deploy/nginx.conf); PAIRWISE_PROXY_COUNT=1.
bind = os.environ.get("PAIRWISE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("PAIRWISE_THREADS", "4"))
# A launch may wait LTI_HTTP_TIMEOUT_SECONDS (10) for the platform's JWKS: leave room.
timeout = int(os.environ.get("PAIRWISE_TIMEOUT", "30"))
graceful_timeout = 30
# No keep-alive: a gthread worker accepts every connection it can, and a kept-alive connection
# stays with the worker that accepted it, so a few busy connections (nginx's upstream pool, a
# hall's browsers) could all land on one worker while the other idled. Measured with
# bench/load.py at 16 users: 73-148 requests/s from run to run with keep-alive, 138-145
# without. A new connection on loopback costs far less than a core left idle.
keepalive = int(os.environ.get("PAIRWISE_KEEPALIVE", "0"))
# Recycle workers now and then (slow leaks in long-lived processes), not all at once. Not
# too often: a new worker imports the app again and starts with cold caches (keys, JWKS,
# compiled templates and SQL), and at 2,000 requests a lecture hall's load (100-150 requests a
# second, bench/load.py) restarted both workers every 30 s, a latency spike each time.
max_requests = int(os.environ.get("PAIRWISE_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - mkstemp
proc_name = "pairwise"
# Access log without query strings: the session token travels in URLs (`?pw=...`).
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


class RedactingLogger(Logger):
    """gunicorn's logger with session tokens rewritten to `pw=[redacted]` in every error and
    access line: a request that fails is logged with its full URL ("Error handling request
    /page?pw=..."), and a custom access_log_format may print the query. Set up in the master,
    again on every reload (SIGHUP), and inherited by each forked worker."""

    def setup(self, cfg):
        super().setup(cfg)
        redact_session_tokens(self.error_log, self.access_log)


logger_class = RedactingLogger
# The app is not created before forking: each worker opens its own database connections.
preload_app = False


def post_worker_init(worker) -> None:
    """Once the worker has loaded the app: its own objects (modules, mappers, templates,
    catalogues; some 180,000) live as long as the process, yet every full collection of the
    garbage collector walked them all again. Frozen, a collection walks what requests made.
    Measured in-process on the pages of bench/load.py: 9-24 % less CPU per request."""
    gc.collect()
    gc.freeze()
