"""Time helpers: the database stores UTC; pages show the configured local zone via Babel."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; treat them as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
