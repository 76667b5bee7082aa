"""pylti1p3's LaunchDataStorage backed by the database, so that the OIDC login, the launch
and later requests can be served by different worker processes and machines."""

import functools
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from sqlalchemy.orm.util import identity_key

from lti_tool.dbutil import dialect_insert, rowcount, upsert
from lti_tool.extensions import db
from lti_tool.lti.models import LaunchData
from lti_tool.timeutil import as_utc, utcnow

DEFAULT_LIFETIME = 86400


class DatabaseLaunchDataStorage(LaunchDataStorage[Any]):
    # Keys (state, nonce, launch id) are random and unguessable, so values need no
    # per-browser session prefix; a prefix would need a cookie the iframe may not keep.
    def get_session_cookie_name(self) -> None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        row = db.session.get(LaunchData, self._prepare_key(key))
        if row is None or _expired(row):
            return None
        return row.value

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        key = self._prepare_key(key)
        # An upsert: concurrent launches caching the same platform keys must not collide.
        upsert(LaunchData, ["key"], {"key": key, "value": value,
                                     "expires_at": utcnow() + timedelta(
                                         seconds=exp or DEFAULT_LIFETIME)})
        cached = db.session.identity_map.get(identity_key(LaunchData, key))
        if cached is not None:
            db.session.expire(cached)  # the row changed under the ORM

    def claim(self, key: str, exp: int) -> bool:
        """Store `key` (True) unless it is already stored: True for exactly one caller, even
        when two race for it (the second waits on the first's unique key, then finds it)."""
        inserted = db.session.execute(_claim_statement(db.session.get_bind().dialect.name), {
            "key": self._prepare_key(key), "value": True,
            "expires_at": utcnow() + timedelta(seconds=exp)})
        return inserted.first() is not None

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def consume(self, key: str) -> bool:
        """Delete the key; True for exactly one caller, even when two race for it."""
        key = self._prepare_key(key)
        result = db.session.execute(
            sa.delete(LaunchData).where(LaunchData.key == key, LaunchData.expires_at > utcnow())
        )
        return rowcount(result) == 1


@functools.cache
def _claim_statement(dialect: str) -> sa.Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING key, built once per dialect (every launch
    runs it). RETURNING, not the rowcount: the inserted row, or none, tells."""
    table = cast(sa.Table, LaunchData.__table__)
    return (dialect_insert(dialect)(table)
            .values(key=sa.bindparam("key"), value=sa.bindparam("value"),
                    expires_at=sa.bindparam("expires_at"))
            .on_conflict_do_nothing(index_elements=["key"]).returning(table.c.key))


def _expired(row: LaunchData) -> bool:
    return as_utc(row.expires_at) <= utcnow()


def purge_expired() -> int:
    result = db.session.execute(sa.delete(LaunchData).where(LaunchData.expires_at < utcnow()))
    return rowcount(result) or 0
