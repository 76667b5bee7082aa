"""Error pages: HTML for people, JSON for services; a log line for each; a rollback so that
nothing half-written survives a failed request.

While the database cannot be reached (PostgreSQL restarting, the network, a full connection
pool) every request answers 503 with `Retry-After`, from a page that needs neither the
database nor the session (`unavailable`), logged in one line without a traceback.

Flask calls these handlers for errors raised in views and `before_request` functions. An
error raised outside them (while the session is opened, while the response is finished, or
by a handler) goes through `Flask.handle_exception`, which logs it with its traceback and
calls the 500 handler with `original_exception` set: `http_error` answers for the original.
"""

import contextlib
import logging

from flask import current_app, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from lti_tool.dbutil import database_unavailable
from lti_tool.extensions import db
from lti_tool.i18n import DEFAULT_LOCALE, available_locales
from lti_tool.lti.rejections import LaunchRejected
from lti_tool.web.negotiation import wants_json

log = logging.getLogger("lti_tool.errors")

FRIENDLY = {
    401: (_l("Please open Pairwise from your course"),
          _l("Your Pairwise session has ended or was never started. Go back to your course in "
             "your learning platform and open the Pairwise activity again.")),
    403: (_l("Not available to you"),
          _l("Your role in this course does not give access to this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address.")),
    413: (_l("Too much to send at once"),
          _l("What was sent is larger than any page of Pairwise accepts. Shorten it and try "
             "again.")),
}

# The platforms that may frame the tool are read from the database, which is not there: the
# 503 page, which has nothing to click or submit, may be shown in any frame.
UNAVAILABLE_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
                      "base-uri 'self'; form-action 'none'")


def register(app) -> None:
    app.register_error_handler(LaunchRejected, launch_rejected)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
    app.logger.addFilter(_one_line_for_expected_errors)


def launch_rejected(error: LaunchRejected):
    db.session.rollback()
    log.warning("lti rejected: reason=%s status=%s path=%s", error.reason, error.status,
                request.path)
    if wants_json():
        return jsonify(error=error.reason, message=error.message), error.status
    return render_template("errors/launch.html", error=error), error.status


def csrf_error(error: CSRFError):
    if _session_unavailable():  # the form's token is in the session nobody could read
        return unavailable("session not read")
    db.session.rollback()
    log.warning("csrf rejected: %s path=%s", error.description, request.path)
    return _page(400, _("This form has expired"),
                 _("For your safety the form could not be sent. Reload the page and try again; "
                   "what you typed is still in your browser's back history."))


def http_error(error: HTTPException):
    original = getattr(error, "original_exception", None)
    if original is not None:
        return _raised_outside_a_view(original)
    if error.code == 401 and _session_unavailable():  # signed in, but nobody could tell
        return unavailable("session not read")
    db.session.rollback()
    if error.code and error.code >= 500:
        log.error("http %s at %s", error.code, request.path)
    elif error.code not in (404,):
        log.info("http %s at %s: %s", error.code, request.path, error.description)
    title, text = FRIENDLY.get(error.code, (error.name, error.description))
    return _page(error.code or 500, title, text)


def unexpected_error(error: Exception):
    if database_unavailable(error):
        return unavailable(_describe(error))
    log.exception("unexpected error at %s", request.path)  # first: the rollback may fail too
    db.session.rollback()
    return http_error(InternalServerError())


def _raised_outside_a_view(original: BaseException):
    """Flask has logged `original` with its traceback (outages excepted: see the filter)."""
    if _request_session() is None:  # opening the session failed: there is none to save
        _drop_session()
    if database_unavailable(original):
        return unavailable(_describe(original))
    if isinstance(original, HTTPException):  # e.g. a 413 from reading the form for the session
        return http_error(original)
    return http_error(InternalServerError())


def unavailable(cause: str):
    """The 503 answer while the database cannot be reached: nothing of this request is kept
    (rolled back, its session not saved), and the page needs neither the database nor the
    session."""
    _drop_session()
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    log.error("database unavailable: %s at %s %s; answered 503", cause, request.method,
              request.path)
    locale = _browser_locale()
    with force_locale(locale):
        title = _("Pairwise is briefly unavailable")
        text = _("Pairwise cannot reach its database at the moment, usually for a minute or "
                 "two while it restarts. Please try again shortly; if you were sending a form, "
                 "your browser's Back button brings back what you typed.")
        if wants_json():
            response = jsonify(error="unavailable", message=text)
        else:
            response = current_app.response_class(_render_plain(
                "errors/unavailable.html", lang=locale.replace("_", "-"), title=title,
                text=text, status=503))
            response.headers["Content-Security-Policy"] = UNAVAILABLE_POLICY
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config["UNAVAILABLE_RETRY_AFTER_SECONDS"])
    return response


def _page(status: int, title: str, text: str):
    title, text = str(title), str(text)
    if wants_json():
        return jsonify(error=title, message=text), status
    return render_template("errors/page.html", status=status, title=title, text=text), status


def _render_plain(name: str, **context) -> str:
    """A template rendered without the app's context processors, which may read the session
    or the database (the current person, the session token in links)."""
    return current_app.jinja_env.get_template(name).render(
        tool_name=current_app.config["TOOL_NAME"],
        static=request.script_root + (current_app.static_url_path or "/static"), **context)


def _browser_locale() -> str:
    """The browser's language: the launch's (kept in the session) may not be readable."""
    return request.accept_languages.best_match(available_locales()) or DEFAULT_LOCALE


def _describe(error: BaseException) -> str:
    """The error's class and the driver's first line, never the SQL or its parameters."""
    orig = getattr(error, "orig", None)
    if orig is None:
        return type(error).__name__
    first_line = (str(orig).strip().splitlines() or [""])[0][:200]
    return f"{type(error).__name__} ({type(orig).__module__}.{type(orig).__name__}: {first_line})"


def _request_session():
    """This request's session, or None when opening it failed (Flask 3.1 keeps it in
    `RequestContext._session`; its `session` proxy raises an AssertionError then)."""
    return getattr(request_ctx._get_current_object(), "_session", None)


def _drop_session() -> None:
    """Give the request a null session, which Flask does not save."""
    app = current_app._get_current_object()
    request_ctx._get_current_object()._session = app.session_interface.make_null_session(app)


def _session_unavailable() -> bool:
    """Whether web/sessions.py opened this request's session empty because the database could
    not be read (it marks such a session `unavailable`)."""
    return getattr(_request_session(), "unavailable", False) is True


def _one_line_for_expected_errors(record: logging.LogRecord) -> bool:
    """A filter for `app.logger`: Flask logs what reaches `handle_exception` with its
    traceback before calling the handler. An outage (`unavailable`) and a client's error
    such as a 413 (`http_error`) are logged in one line there instead."""
    error = record.exc_info[1] if record.exc_info else None
    return error is None or not (isinstance(error, HTTPException)
                                 or database_unavailable(error))
