"""Running a bench (`python -m bench.<name>`) at a tiny size in a subprocess, as the bench
tests do: its JSON lines, or a skip when a package the bench needs is not installed."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def require(*modules: str) -> None:
    """Skip unless each module is importable (the bench extra, in requirements/dev.txt); in
    CI (PAIRWISE_REQUIRE_BENCH=1) a missing one is a failure: a bench must not break
    unseen."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing and os.environ.get("PAIRWISE_REQUIRE_BENCH"):
        pytest.fail(f"{', '.join(missing)} not installed: make venv installs requirements/dev.txt")
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: the benches need the bench extra")


def run_bench(module: str, *args: str, timeout: float = 90) -> list[dict]:
    """The JSON lines `python -m module args` prints. Never against the suite's database: a
    bench makes its schema afresh, so PAIRWISE_TEST_DATABASE_URL is left out."""
    env = {key: value for key, value in os.environ.items()
           if key != "PAIRWISE_TEST_DATABASE_URL"}
    done = subprocess.run([sys.executable, "-m", module, *args],  # noqa: S603 - our benches
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-4000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
