"""The pages about e-mail itself, under /notifications.

- The Notifications page: anyone launched into a course (participants and staff) chooses, for
  each topic, each e-mail, a daily digest or off; always their own choices (the person is the
  session's, never a URL's).
- Unsubscribing (RFC 8058): the link of every e-mail's List-Unsubscribe header and footer.
  A POST turns off every topic (what is essential still comes); it carries no CSRF token (a
  mail client's one-click POST cannot) and needs none: the signed token in its URL is the
  proof. A GET only shows the page with its button: link scanners open every link of an
  e-mail, so opening one changes nothing.
"""

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lti_tool.courses.access import login_required
from lti_tool.courses.models import Enrolment, Person, Role
from lti_tool.extensions import csrf, db
from lti_tool.notify import forms, preferences, unsubscribe
from lti_tool.web.forms import attempt

blueprint = Blueprint("notify", __name__, url_prefix=unsubscribe.URL_PREFIX)


@blueprint.route("/", methods=["GET", "POST"])
@login_required
def preferences_page():
    person = g.enrolment.person
    topics = preferences.topics_for(staff=g.enrolment.role == Role.STAFF)
    form = forms.preferences_form(topics, preferences.modes_of(person.id))
    if request.method == "POST":
        chosen = {topic: form[topic].data for topic in topics}
        problem = attempt(form, lambda: preferences.choose(person, chosen),
                          preferences.PreferenceError).problem
        if problem is None:
            flash(_("Your notification choices are saved."), "success")
            return redirect(url_for("notify.preferences_page"), code=303)
        return _preferences(form, topics, problem), 400
    return _preferences(form, topics)


def _preferences(form, topics: list[str], problem: str | None = None) -> str:
    return render_template("notify/preferences.html", form=form, topics=topics,
                           still={topic: preferences.still_sent(topic) for topic in topics},
                           problem=problem)


@blueprint.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; a mail client's one-click POST has no form
def unsubscribe_page(token: str):
    try:
        person = unsubscribe.person_of(token)
    except unsubscribe.InvalidToken:
        db.session.rollback()
        return _no_store(render_template("notify/unsubscribe_invalid.html"), 400)
    if request.method == "POST":
        preferences.unsubscribe(person)
        db.session.commit()
    return _no_store(render_template(
        "notify/unsubscribe.html", person=person, done=request.method == "POST",
        still=_still_sent(person)))


def _still_sent(person: Person) -> list[str]:
    """What comes even with every topic off (N_-marked English, one per topic)."""
    staff = db.session.scalar(sa.select(Enrolment.id).filter_by(
        person_id=person.id, role=Role.STAFF).limit(1)) is not None
    return [text for topic in preferences.topics_for(staff=staff)
            if (text := preferences.still_sent(topic))]


def _no_store(page: str, status: int = 200):
    """The token in the URL is a key: no cache keeps the page."""
    return page, status, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
