"""Fixtures for the security tests: apps built with other settings than the suite's default
(rate limits on, behind a proxy, production), on the suite's database."""

import pytest

from tests.support import apps


@pytest.fixture
def make_app(database_url, tmp_path):
    """`make_app(**settings)`: a testing app on a fresh schema; disposed after the test."""
    made = []

    def make(**settings):
        settings = {"BASE_URL": "http://127.0.0.1:5000",
                    "SANDBOX_URL": "http://localhost:5000/sandbox", **settings}
        app = apps.make_app(database_url, tmp_path, **settings)
        made.append(app)
        return app

    yield make
    for app in made:
        apps.dispose(app)


@pytest.fixture
def production_app(database_url, tmp_path):
    """The production configuration (HSTS, secure cookies, one proxy) on the test database."""
    app = apps.make_app(database_url, tmp_path, env="production",
                        SECRET_KEY="a-long-random-production-secret-for-tests",
                        ADMIN_TOKEN="production-admin-token", BASE_URL="https://tool.example.edu")
    yield app
    apps.dispose(app)
