"""Links that reach a person through their LMS and land on the page an e-mail is about.

A tool inside an LMS cannot be opened directly: its pages need a launch. So an e-mail's link
points at the tool (`/go/<token>`), which records the destination for that person and sends
the browser on to the activity in the LMS; the person's next launch goes there.

STUB: `link_for` is the contract other modules call; the landing work fills it in.
"""

from flask import current_app, has_request_context, request

from lti_tool.courses.models import Person, Program


def link_for(person: Person, program: Program | None, destination: str) -> str:
    """The absolute link for an e-mail to `person` about the tool's page `destination`."""
    base = (current_app.config.get("BASE_URL") or
            (request.url_root if has_request_context() else "")).rstrip("/")
    return f"{base}{destination}"
