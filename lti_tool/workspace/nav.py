"""The pair's navigation bar: the same links on every page of a pair's workspace, whichever
feature draws the page, the current one marked. A template calls `workspace_nav(pair)`
(templates/workspace/_nav.html), so other features' views pass nothing more than the pair.

Links name other features' endpoints as strings, never import them (they are this layer's
siblings), and a feature that is not installed has no link."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, g, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from lti_tool.pairs.models import Pair

PAGES = (
    ("workspace.hub", _l("Overview")),
    ("workspace.getting_started", _l("Getting started")),
    ("meetings.pair_meetings", _l("Meetings")),
    ("workspace.agreement", _l("Agreement")),
    ("workspace.goals", _l("Goals")),
    ("guides.pair_guides", _l("Guides")),
    ("journal.pair_journal", _l("Recaps and action items")),
    ("journal.messages", _l("Messages")),
    ("surveys.checkin", _l("Check-in")),
)
# Pages whose URL is not under their section's: the section is marked as where they are.
SECTIONS = {"workspace.edit_goal": "workspace.goals", "workspace.save_goal": "workspace.goals"}
HUB = "workspace.hub"


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: str | None  # aria-current: "page" on the page itself, "true" under it


@dataclass(frozen=True)
class PairNav:
    label: str  # the landmark's name: "Your workspace with Mona Mentor"
    links: list[Link]


def pair_nav(pair: Pair) -> PairNav:
    """The bar for the signed-in member of `pair`, on the page of this request."""
    viewer = g.enrolment.person
    other = pair.mentor if viewer.id == pair.mentee_id else pair.mentee
    here = request.script_root + request.path
    links = []
    for endpoint, label in PAGES:
        if endpoint not in current_app.view_functions:
            continue
        url = url_for(endpoint, pair_id=pair.id)
        links.append(Link(str(label), url, _current(endpoint, urlsplit(url).path, here)))
    return PairNav(gettext("Your workspace with %(name)s", name=other.display_name), links)


def _current(endpoint: str, path: str, here: str) -> str | None:
    if here == path:
        return "page"
    if SECTIONS.get(request.endpoint or "") == endpoint:
        return "true"
    if endpoint != HUB and here.startswith(path + "/"):  # a form's page shown again
        return "true"
    return None
