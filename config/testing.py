"""Tests: an isolated database per test session, sandbox enabled, fast keys."""

TESTING = True
SANDBOX_ENABLED = True
SECRET_KEY = "testing-secret-key"  # noqa: S105
ADMIN_TOKEN = "testing-admin-token"  # noqa: S105
TOOL_KEY_BITS = 2048
