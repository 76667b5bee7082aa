"""Success stories: participants offer them (with consent to share), staff approve, and the
program's home page shows the approved ones."""

import sqlalchemy as sa
from flask_babel import gettext

from lti_tool.courses.models import Person, Program, Role
from lti_tool.extensions import db
from lti_tool.relationships.models import Story
from lti_tool.timeutil import utcnow

__all__ = ["Story", "StoryError", "decide", "pending", "published", "submit"]


class StoryError(ValueError):
    """A refused story; the message says why."""


def submit(program: Program, author: Person, role: Role, title: str, body: str,
           show_name: bool, consent: bool) -> Story:
    if not consent:
        raise StoryError(
            gettext("Tick the box to agree that the story may be shared in the program."))
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise StoryError(gettext("Give the story a title and a few lines."))
    if len(title) > 200 or len(body) > 5000:
        raise StoryError(gettext("Keep the title under 200 and the story under 5,000 characters."))
    story = Story(program_id=program.id, author=author, title=title, body=body,
                  show_name=show_name, role="mentor" if role == Role.MENTOR else "mentee")
    db.session.add(story)
    db.session.flush()
    return story


def decide(story: Story, approve: bool) -> None:
    story.status = "approved" if approve else "declined"
    story.decided_at = utcnow()


def pending(program: Program) -> list[Story]:
    return list(db.session.scalars(sa.select(Story).filter_by(
        program_id=program.id, status="pending").order_by(Story.created_at)))


def published(program: Program, limit: int = 20) -> list[Story]:
    return list(db.session.scalars(sa.select(Story).filter_by(
        program_id=program.id, status="approved").order_by(Story.decided_at.desc())
        .limit(limit)))
