"""Where an e-mail's link enters the tool (`/go/<token>`) and where the launch that follows
lands (lti_tool/courses/landing.py has the steps).

`/go` never redirects anywhere a request names: the LMS address is built from what the
person's platform signed at launch, and the page after the launch is a path of this tool.
"""

import contextlib
import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, current_app, make_response, redirect, render_template
from flask_babel import force_locale
from werkzeug.wrappers import Response

from lti_tool import i18n
from lti_tool.courses import landing as links
from lti_tool.extensions import db
from lti_tool.web.sessions import TOKEN_PARAM
from lti_tool.web.tokens import session_token

log = logging.getLogger(__name__)
blueprint = Blueprint("landing", __name__)

REFUSED_STATUS = {"invalid": 400, "expired": 410, "gone": 410}


@blueprint.get("/go/<token>")
def go(token: str):
    """Record the page for the person's next launch, then send them to the activity in their
    LMS (303), or tell them where to find it when their LMS has no address for it."""
    try:
        data = links.read_link(token)
        activity = links.arrive(data)
    except links.LinkRefused as exc:
        db.session.rollback()
        log.warning("landing link refused: reason=%s", exc.reason)
        return _no_store(make_response(render_template("landing/refused.html",
                                                       reason=exc.reason),
                                       REFUSED_STATUS[exc.reason]))
    db.session.commit()
    log.info("landing: person=%s program=%s destination=%s via=%s", data.person_id,
             data.program_id, data.destination, "lms" if activity.url else "find page")
    if activity.url:
        return _no_store(redirect(activity.url, code=303))
    with _in_their_language(activity.locale):
        page = render_template("landing/find_activity.html", activity=activity,
                               minutes=int(current_app.config["LANDING_SECONDS"]) // 60)
    return _no_store(make_response(page))


def landing_redirect(destination: str):
    """The launch's answer when it opens an e-mail's page: `destination` (a local path,
    checked again) with this session's token, the way every link of a launched session finds
    its session inside an LMS iframe without third-party cookies (web/tokens.py)."""
    path = links.local_path(destination)
    token = session_token()
    if token:
        parts = urlsplit(path)
        query = [*parse_qsl(parts.query, keep_blank_values=True), (TOKEN_PARAM, token)]
        path = urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))
    return redirect(path, code=303)


def _in_their_language(locale: str):
    """The person's launch language where Pairwise has it; else the browser's (the default)."""
    language = i18n.match_locale(locale, i18n.available_locales())
    return force_locale(language) if language else contextlib.nullcontext()


def _no_store(response: Response) -> Response:
    """Each answer depends on the moment it is asked (a link followed twice records twice)."""
    response.headers["Cache-Control"] = "no-store"
    return response
