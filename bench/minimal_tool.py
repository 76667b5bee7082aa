"""A minimal LTI 1.3 tool: pylti1p3's documented Flask wiring and nothing else, the yardstick
`python -m bench.launch --compare` holds Pairwise's launches to.

`ToolConfDict` holds the one registration, `FlaskOIDCLogin` answers the login initiation,
`FlaskMessageLaunch` validates the id_token (state cookie, nonce, signature against the
platform's JWKS, cached as the library documents with `set_public_key_caching`), launch data
go to `FlaskCacheDataStorage` over a cache every gunicorn worker shares (a folder of pickled
entries, as flask-caching's FileSystemCache keeps them), and the launch renders a small page
with the person's name. The library's JavaScript cookie check (`enable_check_cookies`) is left
off: it is an extra page only a browser can pass, and Pairwise has none.

    gunicorn -c deploy/gunicorn.conf.py bench.minimal_tool:app

Configured by the environment: MINIMAL_TOOL_PLATFORM, a JSON object with the platform's
`issuer`, `client_id`, `deployment_ids`, `auth_login_url`, `auth_token_url`, `key_set_url`
(bench/servers.py `platform_details`), and MINIMAL_TOOL_CACHE, the shared cache's folder.
"""

import hashlib
import json
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from jinja2 import DictLoader
from pylti1p3.contrib.flask import (
    FlaskCacheDataStorage,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.tool_config import ToolConfDict

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Welcome</title></head>
<body><main><h1>Welcome, {{ name }}</h1>
<p>You came from {{ course }}.</p></main></body></html>
"""


class SharedFolderCache:
    """get/set with expiry over pickled files in one folder: what FlaskCacheDataStorage needs
    from a cache, shared by every process that names the same folder. A write goes to a
    temporary file renamed into place, so a reader never sees half an entry."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()

    def get(self, key: str) -> Any:
        try:
            expires, value = pickle.loads(self._path(key).read_bytes())  # noqa: S301 - ours
        except (FileNotFoundError, EOFError):
            return None
        return value if expires == 0 or expires > time.time() else None

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        expires = time.time() + timeout if timeout else 0
        handle, temporary = tempfile.mkstemp(dir=self.folder)
        with os.fdopen(handle, "wb") as file:
            pickle.dump((expires, value), file, pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self._path(key))
        return True


def create_app(platform: dict, cache_folder: str) -> Flask:
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"launch.html": PAGE})
    tool_conf = ToolConfDict({platform["issuer"]: [{
        "default": True, "client_id": platform["client_id"],
        "auth_login_url": platform["auth_login_url"],
        "auth_token_url": platform["auth_token_url"],
        "key_set_url": platform["key_set_url"], "key_set": None,
        "deployment_ids": platform["deployment_ids"]}]})
    cache = SharedFolderCache(cache_folder)

    def launch_data_storage() -> FlaskCacheDataStorage:
        return FlaskCacheDataStorage(cache)

    @app.route("/login", methods=["GET", "POST"])
    def login():
        request = FlaskRequest()
        oidc_login = FlaskOIDCLogin(request, tool_conf, launch_data_storage=launch_data_storage())
        return oidc_login.redirect(request.get_param("target_link_uri"))

    @app.route("/launch", methods=["POST"])
    def launch():
        storage = launch_data_storage()
        message_launch = FlaskMessageLaunch(FlaskRequest(), tool_conf,
                                            launch_data_storage=storage)
        message_launch.set_public_key_caching(storage, cache_lifetime=7200)
        claims = message_launch.get_launch_data()
        context = claims.get("https://purl.imsglobal.org/spec/lti/claim/context", {})
        return render_template("launch.html", name=claims.get("name", ""),
                               course=context.get("title", ""))

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


def _from_environment() -> Flask | None:
    if "MINIMAL_TOOL_PLATFORM" not in os.environ:
        return None
    return create_app(json.loads(os.environ["MINIMAL_TOOL_PLATFORM"]),
                      os.environ["MINIMAL_TOOL_CACHE"])


app = _from_environment()
