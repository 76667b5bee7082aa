"""Signing out of the tool: the header's "Sign out" button ends this browser's launch session
(its row, cookie and every token of it) and says how to come back."""

import logging

from flask import Blueprint, g, render_template
from flask_babel import get_locale

from lti_tool.web.tokens import end_session

log = logging.getLogger(__name__)
blueprint = Blueprint("web", __name__)


@blueprint.post("/sign-out")
def sign_out():
    get_locale()  # the page in the session's language, chosen while the session is still there
    enrolment = g.get("enrolment")
    end_session()
    log.info("signed out: enrolment=%s", enrolment.id if enrolment is not None else None)
    return render_template("signed_out.html", admin=False)
