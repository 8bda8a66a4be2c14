"""A phone's latest STOP or START wins, whatever order they arrive in."""
from datetime import datetime, timezone


def supersedes(changed_at: datetime, recorded_at: datetime | None) -> bool:
    """Whether a change made at `changed_at` replaces the one recorded (if any)."""
    return recorded_at is None or _aware(recorded_at) < _aware(changed_at)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
