"""The sandbox gradebook and its Assignment and Grade Services rules, as Moodle 5.1 applies
them (mod/lti/service/gradebookservices):
- line-item URLs carry the tool type as a query: `…/lineitems/<id>/lineitem?type_id=<n>`;
- a score needs `userId`, `timestamp`, `activityProgress`, `gradingProgress`, and
  `scoreMaximum` with `scoreGiven`; only gradable members (not staff) may be scored;
- a `gradingProgress` other than `FullyGraded` discards `scoreGiven`: the grade is EMPTY;
- `activityProgress` is stored but drives nothing;
- timestamps are kept to the second and a score not later than the stored one is a 409;
- `scoreGiven` is rescaled to the line item's maximum; `comment` becomes the feedback.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.sandbox import lms, platform
from lti_tool.sandbox.models import Activity, LineItem, Score, ToolRegistration
from lti_tool.timeutil import as_utc

REQUIRED_SCORE_FIELDS = ("userId", "timestamp", "activityProgress", "gradingProgress")
ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}


class GradeError(Exception):
    """A request the gradebook refuses, with the HTTP status Moodle answers."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# --- URLs and JSON --------------------------------------------------------------------------

def lineitems_url(course_id: str, registration: ToolRegistration) -> str:
    return platform.url(f"/api/{course_id}/lineitems?type_id={registration.id}")


def lineitem_url(item: LineItem) -> str:
    return platform.url(
        f"/api/{item.course_id}/lineitems/{item.id}/lineitem?type_id={item.registration_id}"
    )


def lineitem_json(item: LineItem) -> dict[str, Any]:
    data = {
        "id": lineitem_url(item),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
        "resourceId": item.resource_id,
        "tag": item.tag,
    }
    if item.activity_id is not None:
        # Moodle sends the link id under both names (ltiLinkId is the pre-1.3 one).
        data["resourceLinkId"] = data["ltiLinkId"] = str(item.activity_id)
    return data


def result_json(score: Score) -> dict[str, Any]:
    item = score.lineitem
    data = {
        "id": _results_url(item, score.user_id),
        "userId": score.user_id,
        "resultMaximum": item.score_maximum,
        "comment": score.comment,
        "scoreOf": lineitem_url(item),
        "timestamp": as_utc(score.timestamp).isoformat(),
    }
    if score.grade is not None:
        data["resultScore"] = score.grade
    return data


def _results_url(item: LineItem, user_id: str) -> str:
    base = platform.url(f"/api/{item.course_id}/lineitems/{item.id}/lineitem/results")
    return f"{base}?type_id={item.registration_id}&user_id={user_id}"


# --- Line items -----------------------------------------------------------------------------

def find_lineitems(course_id: str, registration: ToolRegistration,
                   filters: dict[str, str | None]) -> list[LineItem]:
    """The tool's line items in the course, filtered like Moodle (resource_link_id or
    lti_link_id, resource_id, tag)."""
    query = sa.select(LineItem).where(LineItem.course_id == course_id,
                                      LineItem.registration_id == registration.id)
    link_id = filters.get("resource_link_id") or filters.get("lti_link_id")
    if link_id is not None:
        # A link id that is not a number names no activity: match nothing.
        query = query.where(LineItem.activity_id == (_int_or_none(link_id) or -1))
    if filters.get("resource_id") is not None:
        query = query.where(LineItem.resource_id == filters["resource_id"])
    if filters.get("tag") is not None:
        query = query.where(LineItem.tag == filters["tag"])
    return list(db.session.scalars(query.order_by(LineItem.id)))


def get_lineitem(course_id: str, registration: ToolRegistration, item_id: Any) -> LineItem:
    item = db.session.get(LineItem, _int_or_none(item_id) or 0)
    if item is None or item.course_id != course_id:
        raise GradeError(404, f"Not Found: line item {item_id} doesn't exist")
    if item.registration_id != registration.id:
        raise GradeError(403, "Line item does not belong to this tool")
    return item


def create_lineitem(course_id: str, registration: ToolRegistration, data: Any,
                    activity: Activity | None = None, primary: bool = False) -> LineItem:
    label, maximum = _label_and_maximum(data)
    item = LineItem(course_id=course_id, registration_id=registration.id, label=label,
                    score_maximum=maximum, is_primary=primary)
    item.activity_id = activity.id if activity else _link_id(course_id, registration, data)
    _set_optional(item, data)
    db.session.add(item)
    db.session.flush()
    return item


def update_lineitem(item: LineItem, data: Any) -> LineItem:
    label, maximum = _label_and_maximum(data)
    item.label, item.score_maximum = label, maximum
    _set_optional(item, data)
    if "resourceLinkId" in data or "ltiLinkId" in data:
        item.activity_id = _link_id(item.course_id, _registration(item), data)
    db.session.flush()
    return item


def delete_lineitem(item: LineItem) -> None:
    if item.is_primary:
        raise GradeError(403, "An activity's own grade item cannot be deleted by the tool")
    db.session.delete(item)
    db.session.flush()


def _label_and_maximum(data: Any) -> tuple[str, float]:
    if not isinstance(data, dict) or not data.get("label") or "scoreMaximum" not in data:
        raise GradeError(400, "No label or Score Maximum")
    if not _is_number(data["scoreMaximum"]) or data["scoreMaximum"] <= 0:
        raise GradeError(400, "scoreMaximum must be a positive number")
    return str(data["label"]), float(data["scoreMaximum"])


def _set_optional(item: LineItem, data: dict) -> None:
    item.tag = str(data.get("tag") or item.tag or "")
    item.resource_id = str(data.get("resourceId") or item.resource_id or "")


def _link_id(course_id: str, registration: ToolRegistration, data: dict) -> int | None:
    raw = data.get("resourceLinkId") or data.get("ltiLinkId")
    if raw in (None, ""):
        return None
    activity = lms.get_activity(raw)
    if activity is None or activity.course_id != course_id or \
            activity.registration_id != registration.id:
        raise GradeError(403, f"Invalid resource link id {raw!r}")
    return activity.id


def _registration(item: LineItem) -> ToolRegistration:
    return db.session.get(ToolRegistration, item.registration_id)


# --- Scores and results ---------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreInput:
    user_id: str
    timestamp: datetime
    activity_progress: str
    grading_progress: str
    score_given: float | None
    score_maximum: float
    comment: str


def record_score(item: LineItem, data: Any) -> Score:
    """Apply one score to the gradebook (see the module docstring for Moodle's rules)."""
    score_input = parse_score(item, data)
    score = db.session.scalars(
        sa.select(Score).where(Score.lineitem_id == item.id, Score.user_id == score_input.user_id)
    ).first()
    if score is not None and as_utc(score.timestamp) >= score_input.timestamp:
        raise GradeError(409, "Refusing score with an earlier timestamp for item "
                              f"{item.id} and user {score_input.user_id}")
    score = score or Score(lineitem=item, user_id=score_input.user_id)
    _apply(score, item, score_input)
    db.session.add(score)
    db.session.flush()
    return score


def _apply(score: Score, item: LineItem, given: ScoreInput) -> None:
    # Moodle: a score that is not FullyGraded leaves the grade empty, whatever scoreGiven says.
    kept = given.score_given if given.grading_progress == "FullyGraded" else None
    score.score_given = kept
    score.score_maximum = given.score_maximum
    score.grade = None if kept is None else kept * item.score_maximum / given.score_maximum
    score.comment = given.comment
    score.timestamp = given.timestamp
    score.activity_progress = given.activity_progress
    score.grading_progress = given.grading_progress


def parse_score(item: LineItem, data: Any) -> ScoreInput:
    if not isinstance(data, dict):
        raise GradeError(400, "Incorrect score received: not a JSON object")
    missing = [name for name in REQUIRED_SCORE_FIELDS if data.get(name) in (None, "")]
    if missing:
        raise GradeError(400, f"Incorrect score received: missing {', '.join(missing)}")
    _check_progress(data)
    given, maximum = _score_values(data)
    user_id = str(data["userId"])
    if not lms.is_gradable(item.course_id, user_id):
        raise GradeError(400, f"Incorrect score received: user {user_id} is not gradable")
    return ScoreInput(user_id=user_id, timestamp=parse_timestamp(data["timestamp"]),
                      activity_progress=data["activityProgress"],
                      grading_progress=data["gradingProgress"], score_given=given,
                      score_maximum=maximum, comment=str(data.get("comment") or ""))


def _check_progress(data: dict) -> None:
    if data["activityProgress"] not in ACTIVITY_PROGRESS:
        raise GradeError(400, f"Unknown activityProgress {data['activityProgress']!r}")
    if data["gradingProgress"] not in GRADING_PROGRESS:
        raise GradeError(400, f"Unknown gradingProgress {data['gradingProgress']!r}")


def _score_values(data: dict) -> tuple[float | None, float]:
    given, maximum = data.get("scoreGiven"), data.get("scoreMaximum")
    if given is not None and maximum is None:
        raise GradeError(400, "Incorrect score received: scoreGiven without scoreMaximum")
    for name, value in (("scoreGiven", given), ("scoreMaximum", maximum)):
        if value is not None and not _is_number(value):
            raise GradeError(400, f"Incorrect score received: {name} is not a number")
    if maximum is not None and maximum <= 0:
        raise GradeError(400, "Incorrect score received: scoreMaximum must be positive")
    if given is not None and given < 0:
        raise GradeError(400, "Incorrect score received: scoreGiven must not be negative")
    return (None if given is None else float(given)), float(maximum if maximum is not None else 1)


def parse_timestamp(raw: Any) -> datetime:
    """An ISO 8601 timestamp as UTC, cut to the second (Moodle keeps whole seconds)."""
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError as exc:
        raise GradeError(400, f"Incorrect score received: bad timestamp {raw!r}") from exc
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def results(item: LineItem, user_id: str | None = None) -> list[Score]:
    query = sa.select(Score).where(Score.lineitem_id == item.id)
    if user_id is not None:
        query = query.where(Score.user_id == str(user_id))
    scores = db.session.scalars(query)
    return sorted(scores, key=lambda s: (len(s.user_id), s.user_id))


# --- The gradebook page ---------------------------------------------------------------------

@dataclass(frozen=True)
class Gradebook:
    lineitems: list[LineItem]
    rows: list[tuple[Any, list[Score | None]]]  # (membership, one cell per line item)


def gradebook(course_id: str) -> Gradebook:
    items = list(db.session.scalars(
        sa.select(LineItem).where(LineItem.course_id == course_id).order_by(LineItem.id)
    ))
    stored = {(s.lineitem_id, s.user_id): s for s in db.session.scalars(
        sa.select(Score).join(LineItem).where(LineItem.course_id == course_id))}
    rows = [(member, [stored.get((item.id, member.user_id)) for item in items])
            for member in lms.gradable_members(course_id)]
    return Gradebook(items, rows)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int_or_none(value: Any) -> int | None:
    """A database id from a URL or JSON value; None for junk (or out of the column's range,
    which PostgreSQL would answer with an error rather than no row)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None
