from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware one: SQLite drops the zone, and everything is stored in
    UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def iso(moment: datetime | None) -> str | None:
    """A stored moment as ISO 8601 with its offset (None stays None)."""
    return None if moment is None else as_utc(moment).isoformat()


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone this machine knows (America/New_York)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
