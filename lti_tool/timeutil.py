"""Timezone-aware UTC time, the only clock the models use."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; PostgreSQL aware ones. Compare them as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
