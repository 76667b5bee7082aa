"""The HTTP side of grade sync: score posts made concurrently by a bounded pool of threads
sharing one connection pool, each line item's access token held in memory for the run.

Threads see plain data only (a URL, a token, a JSON body) and hand back the response or the
exception: the database session is not thread-safe, so everything that reads or writes it
(the line item lookup, the token cache, the outcomes) stays in the caller's thread.
"""

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import requests
import sqlalchemy as sa
from flask import current_app
from pylti1p3.exception import LtiException
from pylti1p3.lineitem import LineItem

from lti_tool.courses.models import ResourceLink
from lti_tool.extensions import db
from lti_tool.lti.advantage import connector_for, grades_service, participation_lineitem
from lti_tool.lti.connector import EXPIRY_MARGIN, http_session
from lti_tool.lti.models import AccessToken
from lti_tool.lti.outbound import OutboundPolicy, PolicyAdapter
from lti_tool.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)
POOL = 8  # score posts in flight at once, per worker
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
UNKNOWN_EXPIRY = timedelta(minutes=5)  # a token whose cache row is gone: assume this long


def pooled_session(size: int = POOL) -> requests.Session:
    """The tool's outbound session (timeout, outbound policy) with a connection pool per host
    as large as the thread pool, so every thread keeps its connection alive."""
    session = http_session()
    adapter = PolicyAdapter(OutboundPolicy.from_config(current_app.config),
                            pool_connections=4, pool_maxsize=size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def scores_url(lineitem_url: str) -> str:
    """The line item's scores endpoint: `/scores` on its path, its query kept (Moodle's
    `?type_id=`), as pylti1p3 builds it."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def send(session: requests.Session, url: str, token: str, body: str) -> requests.Response:
    """One score post (in a pool thread: no database, no app context)."""
    return session.post(url, data=body, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json",
        "Content-Type": SCORE_TYPE})


class LinkClient:
    """A resource link's score endpoint and access token, for a run (caller's thread)."""

    def __init__(self, link: ResourceLink):
        service = grades_service(link)
        if not service.can_put_grade():
            raise LtiException("Can't put grade: Missing required scope")
        self.platform_id = link.course.platform_id
        self.scopes = sorted(service._service_data["scope"])  # noqa: SLF001 - what it asks for
        self._connector = connector_for(link.course.platform)
        self.url = scores_url(str(self._lineitem(link).get_id()))
        self.token: str | None = None
        self._expires_at: datetime | None = None

    def current_token(self) -> str:
        """The token in memory, or a fresh one when there is none or it is about to expire."""
        if self.token is None or self._expires_at is None or \
                self._expires_at - EXPIRY_MARGIN <= utcnow():
            self._fetch()
        assert self.token is not None
        return self.token

    def refused(self, token: str) -> str:
        """The LMS answered 401 to `token`: the token to send again with. Fetched afresh once,
        however many posts in flight carried the refused one."""
        if token == self.token:
            self._connector.forget_access_token(self.scopes)
            self.token = None
            self._fetch()
        return self.current_token()

    def _fetch(self) -> None:
        try:
            token = self._connector.get_access_token(self.scopes)  # the database's, or new
            expires_at = db.session.scalar(sa.select(AccessToken.expires_at).where(
                AccessToken.platform_id == self.platform_id, AccessToken.token == token))
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        self.token = token
        self._expires_at = as_utc(expires_at) if expires_at else utcnow() + UNKNOWN_EXPIRY

    @staticmethod
    def _lineitem(link: ResourceLink) -> LineItem:
        """The link's line item; found or created once (see `participation_lineitem`). On
        PostgreSQL the link's row is locked meanwhile, so two workers never create two."""
        if link.ags_lineitem_url:
            return LineItem({"id": link.ags_lineitem_url})
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.select(ResourceLink.id).where(ResourceLink.id == link.id)
                               .with_for_update())
            db.session.refresh(link)
            if link.ags_lineitem_url:
                db.session.commit()
                return LineItem({"id": link.ags_lineitem_url})
        item = participation_lineitem(link)
        db.session.commit()
        log.info("grades: line item for resource link %s is %s", link.id, item.get_id())
        return item


@dataclass(frozen=True)
class Post:
    """One score to post: plain data, safe to hand to a thread."""

    row_id: int
    record_id: int
    link_id: int
    body: str  # the score's JSON


class Pool:
    """The bounded thread pool and the connection pool its posts share."""

    def __init__(self, size: int = POOL):
        self.size = size
        self._session: requests.Session | None = None
        self._executor: ThreadPoolExecutor | None = None

    def submit(self, url: str, token: str, body: str) -> Future:
        if self._executor is None or self._session is None:
            self._session = pooled_session(self.size)
            self._executor = ThreadPoolExecutor(self.size, thread_name_prefix="grades-post")
        return self._executor.submit(send, self._session, url, token, body)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._session is not None:
            self._session.close()
            self._session = None
