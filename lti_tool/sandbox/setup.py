"""`setup_sandbox`: everything the sandbox needs to launch the tool, idempotently: the
platform key, the demo course and its people, the tool's registration in the sandbox, and
the sandbox's registration in the tool (through the tool's own registration API)."""

from dataclasses import dataclass

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.lti.context import SUBSTITUTIONS
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import PlatformDetails, register_platform
from lti_tool.sandbox import grades, lms, platform
from lti_tool.sandbox.models import Activity, Course, ToolRegistration

PLATFORM_NAME = "Pairwise sandbox LMS"


@dataclass(frozen=True)
class SetupResult:
    tool: ToolRegistration
    course: Course
    tool_platform: Platform  # the sandbox as the tool has registered it


def create_tables() -> None:
    """The sandbox's own tables: migrations manage only the tool's schema. Tables from an
    older sandbox (a column missing) are rebuilt: they hold demo data only."""
    tables = [t for t in db.metadata.sorted_tables if t.name.startswith("sandbox_")]
    inspector = sa.inspect(db.engine)
    stale = [t for t in tables if inspector.has_table(t.name) and
             {c.name for c in t.columns} - {c["name"] for c in inspector.get_columns(t.name)}]
    if stale:
        db.metadata.drop_all(db.engine, tables=tables)
    db.metadata.create_all(db.engine, tables=tables)


def tool_endpoints(tool_base_url: str) -> dict[str, str]:
    base = tool_base_url.rstrip("/")
    return {"login_url": f"{base}/lti/login", "launch_url": f"{base}/lti/launch",
            "jwks_url": f"{base}/lti/jwks"}


def setup_sandbox(tool_base_url: str) -> SetupResult:
    """Create or refresh the sandbox for the tool at `tool_base_url`; commits."""
    create_tables()
    platform.signing_key()
    course = lms.ensure_demo_course()
    tool = _ensure_tool(tool_base_url)
    tool_platform = register_platform(PlatformDetails(
        issuer=platform.sandbox_url(),
        client_id=tool.client_id,
        auth_login_url=platform.url("/auth"),
        auth_token_url=platform.url("/token"),
        key_set_url=platform.url("/jwks"),
        deployment_ids=(tool.deployment_id,),
        name=PLATFORM_NAME,
        product_family=platform.PRODUCT_FAMILY,
    ))
    db.session.commit()
    return SetupResult(tool, course, tool_platform)


def add_activity(title: str, url: str | None = None, score_maximum: float | None = 100,
                 custom: dict | None = None, text: str = "") -> Activity:
    """An activity of the current tool in the demo course, as a deep-linking response would
    add it (with its own line item unless `score_maximum` is None); commits. For tests and
    demos that need an activity without going through the tool's deep-linking page."""
    tool = platform.current_registration()
    course = lms.get_course(lms.COURSE_ID)
    if tool is None or course is None:
        raise RuntimeError("Call setup_sandbox first.")
    activity = lms.add_activity(course, tool, title, url or tool.launch_url, text, custom)
    if score_maximum is not None:
        grades.create_lineitem(course.id, tool, {"label": title, "scoreMaximum": score_maximum},
                               activity=activity, primary=True)
    db.session.commit()
    return activity


def _ensure_tool(tool_base_url: str) -> ToolRegistration:
    """The registration `setup` made before (its URLs refreshed), or a new one."""
    urls = tool_endpoints(tool_base_url)
    tool = db.session.scalars(
        sa.select(ToolRegistration).where(ToolRegistration.source == "setup")
        .order_by(ToolRegistration.id)
    ).first()
    if tool is None:
        tool = platform.create_registration(name="Pairwise", source="setup", **_fields(urls))
    else:
        for name, value in _fields(urls).items():
            setattr(tool, name, value)
    db.session.flush()
    return tool


def _fields(urls: dict[str, str]) -> dict:
    return {
        "login_url": urls["login_url"],
        "launch_url": urls["launch_url"],
        "deep_linking_url": urls["launch_url"],
        "jwks_url": urls["jwks_url"],
        "redirect_uris": [urls["launch_url"]],
        "scopes": list(platform.SUPPORTED_SCOPES),
        "custom": dict(SUBSTITUTIONS),  # as the tool's configuration page tells admins
    }
