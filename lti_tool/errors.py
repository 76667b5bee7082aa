"""Error pages: HTML for people, JSON for services; a log line for each; a rollback so that
nothing half-written survives a failed request."""

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from lti_tool.extensions import db
from lti_tool.lti.rejections import LaunchRejected
from lti_tool.web.auth import wants_json

log = logging.getLogger("lti_tool.errors")

FRIENDLY = {
    401: (_l("Please open Pairwise from your course"),
          _l("Your Pairwise session has ended or was never started. Go back to your course in "
             "your learning platform and open the Pairwise activity again.")),
    403: (_l("Not available to you"),
          _l("Your role in this course does not give access to this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address.")),
}


def register(app) -> None:
    app.register_error_handler(LaunchRejected, launch_rejected)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)


def launch_rejected(error: LaunchRejected):
    db.session.rollback()
    log.warning("lti rejected: reason=%s status=%s path=%s", error.reason, error.status,
                request.path)
    if wants_json():
        return jsonify(error=error.reason, message=error.message), error.status
    return render_template("errors/launch.html", error=error), error.status


def csrf_error(error: CSRFError):
    db.session.rollback()
    log.warning("csrf rejected: %s path=%s", error.description, request.path)
    return _page(400, _("This form has expired"),
                 _("For your safety the form could not be sent. Reload the page and try again; "
                   "what you typed is still in your browser's back history."))


def http_error(error: HTTPException):
    db.session.rollback()
    if error.code and error.code >= 500:
        log.error("http %s at %s", error.code, request.path)
    elif error.code not in (404,):
        log.info("http %s at %s: %s", error.code, request.path, error.description)
    title, text = FRIENDLY.get(error.code, (error.name, error.description))
    return _page(error.code or 500, title, text)


def unexpected_error(error: Exception):
    db.session.rollback()
    log.exception("unexpected error at %s", request.path)
    return http_error(InternalServerError())


def _page(status: int, title: str, text: str):
    title, text = str(title), str(text)
    if wants_json():
        return jsonify(error=title, message=text), status
    return render_template("errors/page.html", status=status, title=title, text=text), status
