"""When a request is due: its category's resolve-within target, in calendar hours."""
from datetime import datetime, timedelta


def resolve_within_hours(policy_hours: int | None, default_hours: int) -> int:
    """The category's own target, or the default for a category no policy names."""
    return policy_hours or default_hours


def due_at(started_at: datetime, hours: int) -> datetime:
    return started_at + timedelta(hours=hours)
