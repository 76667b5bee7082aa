"""Moved to tests/support/platform.py; this name stays until every test imports from there."""

from tests.support.platform import *  # noqa: F403
from tests.support.platform import LTI, PlatformDouble, launch, moodle_fixture, start_login  # noqa: F401
