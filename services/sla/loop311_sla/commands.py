"""What sla can be asked to do."""
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ImportPolicies:
    """Make `document` (loop311.policies/2, loaded) the calendars and policies in force."""

    document: dict
    author: str


@dataclass(frozen=True)
class PauseClock:
    """Stop the resolve clock (waiting on the resident); `resume` starts it again and moves
    the due date by the time paused."""

    request_id: str
    reason: str
    author: str
    resume: bool = False


@dataclass(frozen=True)
class SuspendJurisdiction:
    """A storm suspension: pause every open clock of a jurisdiction (`lift`: resume them)."""

    jurisdiction: str
    reason: str
    author: str
    lift: bool = False


@dataclass(frozen=True)
class FireTimers:
    """Send the reminders, breaches and escalations that are due at `now`."""

    now: datetime
    limit: int = 100
