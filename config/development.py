"""Local development: SQLite, the sandbox LMS on http://localhost:5000/sandbox."""

BASE_URL = "http://127.0.0.1:5000"
SANDBOX_ENABLED = True
SANDBOX_URL = "http://localhost:5000/sandbox"
ADMIN_TOKEN = "pairwise-admin"  # noqa: S105 - development only; production requires its own
