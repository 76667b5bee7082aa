"""The session token in every link and form of a launched session (`?pw=...`): inside an LMS
iframe the browser may drop the tool's cookie, and the token is how the next request finds its
session (web/sessions.py). Made only for sessions a launch created, never for the admin pages,
public pages or another site's."""

from flask import Flask, g, has_request_context, session

from lti_tool.web.sessions import LTI, TOKEN_PARAM, make_token, this_session

# Endpoints whose URLs never carry the session token: public, another site's, or the admin
# pages (cookie only: web/sessions.py).
NO_TOKEN_ENDPOINT_PREFIXES = ("static", "sandbox.", "health.", "lti.jwks", "lti.login",
                              "lti.launch", "meetings.feed", "admin.")


def init_app(app: Flask) -> None:
    app.url_defaults(add_session_token)


def session_token() -> str | None:
    """The token for this request's session, only for a session a launch created (a token in
    a URL may leak: the less it opens, the better; an anonymous visitor's CSRF token needs no
    token, nor do the admin pages). The session gets its id now, so that the links and forms
    of the page that filled it already carry it."""
    if not has_request_context() or getattr(session, "scope", None) != LTI \
            or "launch_id" not in session:
        return None
    if "session_token" not in g:
        g.session_token = make_token(this_session().ensure_sid())
    return g.session_token


def add_session_token(endpoint: str, values: dict) -> None:
    if endpoint.startswith(NO_TOKEN_ENDPOINT_PREFIXES) or TOKEN_PARAM in values:
        return
    token = session_token()
    if token:
        values[TOKEN_PARAM] = token


def end_session() -> None:
    """Sign out of this request's session (web/sessions.py deletes it with the response)."""
    this_session().end()
    g.enrolment = None
    g.pop("session_token", None)
