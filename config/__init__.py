"""Configuration: defaults per environment, then `PAIRWISE_*` environment variables.

`load(app, env, overrides)` fills `app.config` in this order, each step winning over the last:
`config/default.py`, `config/<env>.py`, every `PAIRWISE_<NAME>` environment variable (as
`<NAME>`; JSON values such as `true` or `30` are decoded), then `overrides` (tests).
"""

import importlib
import json
import os

ENVIRONMENTS = ("development", "testing", "production")
PREFIX = "PAIRWISE_"
# Friendlier environment names for settings whose Flask name is long.
ALIASES = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}


def load(app, env=None, overrides=None):
    env = env or os.environ.get(PREFIX + "ENV", "development")
    if env not in ENVIRONMENTS:
        raise RuntimeError(f"{PREFIX}ENV must be one of {ENVIRONMENTS}, not {env!r}")
    app.config.from_object("config.default")
    app.config.from_object(importlib.import_module(f"config.{env}"))
    app.config.update(_from_environment(os.environ))
    app.config.update(overrides or {})
    app.config["ENV_NAME"] = env


def _from_environment(environ):
    settings = {}
    for key, raw in environ.items():
        if key.startswith(PREFIX) and key != PREFIX + "ENV":
            name = key[len(PREFIX):]
            settings[ALIASES.get(name, name)] = _decode(raw)
    return settings


def _decode(raw):
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    # Only scalars are decoded: a URL or a key must stay a string.
    return value if isinstance(value, bool | int | float) else raw
