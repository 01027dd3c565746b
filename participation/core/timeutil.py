"""Time helpers: the database stores UTC; pages show the configured local zone via Babel."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; treat them as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Forms take times on the community's wall clock (datetime-local inputs); the database keeps UTC.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))


def wall_to_utc(local: datetime | None) -> datetime | None:
    """A wall-clock time (naive, the configured zone) as UTC."""
    if local is None:
        return None
    return local.replace(tzinfo=local_zone()).astimezone(UTC)


def utc_to_wall(value: datetime | None) -> datetime | None:
    """A stored time as the naive wall-clock value a datetime-local input shows."""
    if value is None:
        return None
    return aware(value).astimezone(local_zone()).replace(tzinfo=None, second=0, microsecond=0)


def parse_wall(text: str | None) -> datetime | None:
    """What a datetime-local input sent, as UTC; None when it is not a time."""
    text = (text or "").strip()
    for fmt in LOCAL_FORMATS:
        try:
            return wall_to_utc(datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None
