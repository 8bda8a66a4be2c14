"""A phone's latest STOP or START wins, whatever order they arrive in."""
from datetime import datetime

from loop311_shared.clock import as_utc


def supersedes(changed_at: datetime, recorded_at: datetime | None) -> bool:
    """Whether a change made at `changed_at` replaces the one recorded (if any)."""
    return recorded_at is None or as_utc(recorded_at) < as_utc(changed_at)
