"""What the submission-key tests share: the forms of a page as a browser sends them (hidden
fields included), redirect targets without the session token, and row counts."""

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa

from lti_tool.extensions import db


class _Forms(HTMLParser):
    """Every form of a page: where it posts to, and its hidden inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._open = False

    def handle_starttag(self, tag, attrs):
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), {}))
            self._open = True
        elif tag == "input" and self._open and found.get("type") == "hidden" and found.get(
                "name"):
            self.forms[-1][1][found["name"]] = found.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = False


def all_forms(html: bytes) -> list[tuple[str, dict[str, str]]]:
    """(action, hidden fields) of every form of the page, in order."""
    parser = _Forms()
    parser.feed(html.decode())
    return parser.forms


def forms_posting_to(html: bytes, path: str) -> list[dict[str, str]]:
    """The hidden fields of each form of the page that posts to `path` ("": to the page)."""
    return [fields for action, fields in all_forms(html) if urlsplit(action).path == path]


def hidden_fields(html: bytes, action: str) -> dict[str, str]:
    """The hidden fields (CSRF token, submission key, ...) of the page's form for `action`."""
    found = forms_posting_to(html, action)
    assert found, f"the page has no form posting to {action}"
    return found[0]


def without_token(location: str) -> str:
    """A redirect's target without the session token (a fresh one is signed per request)."""
    url = urlsplit(location)
    query = "&".join(f"{k}={v}" for k, v in parse_qsl(url.query) if k != "pw")
    return f"{url.path}?{query}#{url.fragment}"


def count(app, model, **filters) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)
                                 .filter_by(**filters))
