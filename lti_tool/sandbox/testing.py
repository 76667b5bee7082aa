"""Driving the sandbox over real HTTP as a browser without JavaScript would, for tests and
scripts: start a launch exactly as a course-page button does (`launch_form`), let the tool
redirect to the sandbox's auth endpoint, then submit the auto-submitting form that carries
the id_token to the tool.

    with live_server.app.app_context():
        login_url, fields = launch_form("6", activity_id=1)
    trace = browser_launch(requests.Session(), login_url, fields)
    trace.response  # the tool's answer to the id_token POST (redirects followed)
"""

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import jwt
import requests

from lti_tool.sandbox.launch import launch_form

__all__ = ["LaunchTrace", "browser_launch", "launch_form", "parse_form"]
TIMEOUT = 10


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action, self._in_form = attributes.get("action", ""), True
        elif tag == "input" and self._in_form and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False


def parse_form(html: str, base_url: str = "") -> tuple[str, dict[str, str]]:
    """(action, named input values) of the first form of a page (entities unescaped); a
    relative or missing action is resolved against `base_url`, as a browser would."""
    parser = _FormParser()
    parser.feed(html)
    if parser.action is None:
        raise ValueError("The page has no form")
    return urljoin(base_url, parser.action) if base_url else parser.action, parser.fields


@dataclass
class LaunchTrace:
    auth_page: requests.Response  # the sandbox's answer to the tool's OIDC redirect
    id_token: str
    response: requests.Response  # the tool's answer to the id_token POST

    @property
    def claims(self) -> dict:
        return jwt.decode(self.id_token, options={"verify_signature": False})


def browser_launch(http: requests.Session, login_url: str, fields: dict[str, str],
                   follow_redirects: bool = True) -> LaunchTrace:
    """POST the login initiation, follow the tool's redirect to the sandbox's auth endpoint
    and POST the id_token and state to the tool, as the browser would."""
    auth_page = http.post(login_url, data=fields, timeout=TIMEOUT)
    auth_page.raise_for_status()
    action, form = parse_form(auth_page.text, auth_page.url)
    if "id_token" not in form:
        raise ValueError(f"No id_token in the page at {auth_page.url}: {auth_page.text[:300]}")
    response = http.post(action, data=form, timeout=TIMEOUT, allow_redirects=follow_redirects)
    return LaunchTrace(auth_page, form["id_token"], response)
