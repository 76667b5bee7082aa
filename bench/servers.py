"""What the gunicorn benches share: Pairwise set up with production settings on a database
(its schema made afresh, the platform double registered), a WSGI app served by gunicorn with
deploy/gunicorn.conf.py and the same worker settings whichever app it is, and a wait for it
to answer.

The platform double (tests/support/platform.py) serves its JWKS on loopback over plain HTTP:
Pairwise's outbound policy (lti_tool/lti/outbound.py) is opened for that one host and port.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.platform import PlatformDouble

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SETUP = """
from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.registrations import PlatformDetails, register_platform
import json, sys
app = create_app()
with app.app_context():
    db.drop_all()
    db.create_all()
    keys.ensure_key()
    register_platform(PlatformDetails(**json.loads(sys.argv[1])))
    db.session.commit()
"""


@dataclass(frozen=True)
class Gunicorn:
    """The worker settings every app of a run is served with."""

    workers: int = 2
    threads: int = 4

    def environ(self, port: int) -> dict[str, str]:
        return {"PAIRWISE_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(self.workers),
                "PAIRWISE_THREADS": str(self.threads), "PYTHONUNBUFFERED": "1"}

    def describe(self) -> dict:
        return {"workers": self.workers, "threads": self.threads, "worker_class": "gthread"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def platform_details(platform: PlatformDouble) -> dict:
    return {"issuer": platform.issuer, "client_id": platform.client_id,
            "auth_login_url": platform.issuer + "/mod/lti/auth.php",
            "auth_token_url": platform.base_url + "/token", "key_set_url": platform.jwks_url,
            "deployment_ids": [platform.deployment_id], "name": "Bench Moodle"}


def pairwise_environ(database_url: str, base: str, platform: PlatformDouble) -> dict[str, str]:
    """Production settings for a Pairwise at `base` whose platform is `platform`. Rate limits
    stay on, set high: every virtual user comes from 127.0.0.1."""
    jwks = urlsplit(platform.jwks_url)
    env = {**os.environ, "PAIRWISE_ENV": "production",
           "PAIRWISE_SECRET_KEY": secrets.token_urlsafe(32),
           "PAIRWISE_ADMIN_TOKEN": secrets.token_urlsafe(16),
           "PAIRWISE_DATABASE_URL": database_url, "PAIRWISE_BASE_URL": base,
           "PAIRWISE_PROXY_COUNT": "0", "PAIRWISE_LOG_LEVEL": "WARNING",
           "PAIRWISE_OUTBOUND_ALLOWED_HOSTS": jwks.hostname or "127.0.0.1",
           "PAIRWISE_OUTBOUND_ALLOWED_PORTS": str(jwks.port),
           "PAIRWISE_OUTBOUND_HTTPS_ONLY": "false"}
    env.update(_high_rate_limits())
    return env


def _high_rate_limits() -> dict[str, str]:
    """Every limit config/default.py sets ("N/period"), raised out of the way."""
    import config.default

    return {f"PAIRWISE_{name}": "1000000/minute" for name, value in vars(config.default).items()
            if name.startswith("RATE_LIMIT_") and isinstance(value, str) and "/" in value}


def set_up_pairwise(env: dict[str, str], platform: PlatformDouble,
                    script: str = SETUP) -> None:
    """A fresh schema, the tool's key and the platform's registration."""
    subprocess.run([sys.executable, "-c", script,  # noqa: S603 - our own script
                    json.dumps(platform_details(platform))], env=env, cwd=ROOT, check=True)


@dataclass
class Served:
    """An app under gunicorn: where it answers and, once stopped, what its log said."""

    base: str
    log: str = ""

    @property
    def errors(self) -> list[str]:
        return [line for line in self.log.splitlines()
                if "ERROR" in line or "Error:" in line or "Exception:" in line]


@contextmanager
def gunicorn(app: str, env: dict[str, str], settings: Gunicorn,
             port: int | None = None) -> Iterator[Served]:
    """Serve `app` ("module:name") with deploy/gunicorn.conf.py until the block ends."""
    port = port or free_port()
    served = Served(f"http://127.0.0.1:{port}")
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn and settings
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", app],
            env={**env, **settings.environ(port)}, cwd=ROOT, stdout=log,
            stderr=subprocess.STDOUT)
        try:
            try:
                wait_until_up(served.base + "/healthz", server)
            except RuntimeError as exc:
                log.seek(0)
                raise RuntimeError(f"{app}: {exc}\n{log.read().decode()[-3000:]}") from exc
            yield served
        finally:
            server.send_signal(signal.SIGINT)  # quick shutdown: idle keep-alives need no wait
            server.wait(timeout=30)
            log.seek(0)
            served.log = log.read().decode(errors="replace")


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} in time")


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of an ascending list (0 for none)."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def run_in_postgres(module: str, argv: list[str]) -> None:
    """Run `python -m module argv` again inside `.ci/with-postgres` (a throwaway cluster on
    another port than the test suite's); does not return."""
    os.environ.setdefault("PAIRWISE_PG_PORT", "54339")
    os.execvp("bash", ["bash", str(ROOT / ".ci" / "with-postgres"),  # noqa: S606, S607
                       sys.executable, "-m", module, *argv])
