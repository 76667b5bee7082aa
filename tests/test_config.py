"""Configuration: environment variables win, production refuses unsafe settings."""

import pytest

from lti_tool import create_app


def test_environment_variables_override_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("PAIRWISE_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("PAIRWISE_SESSION_TOKEN_MAX_AGE", "120")
    monkeypatch.setenv("PAIRWISE_TOOL_NAME", "Mentors")
    app = create_app(env="testing")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.db"
    assert app.config["SESSION_TOKEN_MAX_AGE"] == 120
    assert app.config["TOOL_NAME"] == "Mentors"


@pytest.mark.parametrize("missing", ["PAIRWISE_SECRET_KEY", "PAIRWISE_ADMIN_TOKEN",
                                     "PAIRWISE_DATABASE_URL"])
def test_production_refuses_to_start_without_its_secrets(monkeypatch, tmp_path, missing):
    settings = {"PAIRWISE_SECRET_KEY": "a-long-random-production-secret",
                "PAIRWISE_ADMIN_TOKEN": "admin-secret",
                "PAIRWISE_DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    for name, value in settings.items():
        if name != missing:
            monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=missing.removeprefix("PAIRWISE_")):
        create_app(env="production")


def test_production_starts_with_its_secrets_and_no_sandbox(monkeypatch, tmp_path):
    monkeypatch.setenv("PAIRWISE_SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("PAIRWISE_ADMIN_TOKEN", "admin-secret")
    monkeypatch.setenv("PAIRWISE_DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    app = create_app(env="production")
    assert not app.config["SANDBOX_ENABLED"]
    assert not any(rule.rule.startswith("/sandbox") for rule in app.url_map.iter_rules())
    monkeypatch.setenv("PAIRWISE_SANDBOX_ENABLED", "true")
    with pytest.raises(RuntimeError, match="sandbox"):
        create_app(env="production")


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="PAIRWISE_ENV"):
        create_app(env="staging")
