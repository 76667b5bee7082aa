"""Tests: an isolated database per test session, sandbox enabled."""

TESTING = True
SANDBOX_ENABLED = True
SECRET_KEY = "testing-secret-key"  # noqa: S105
ADMIN_TOKEN = "testing-admin-token"  # noqa: S105
