"""What routing can be asked to do."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportDirectory:
    """Make `document` (loop311.directory/2, loaded) the directory in force."""

    document: dict
    author: str


@dataclass(frozen=True)
class ReassignRequest:
    """Staff move a request: correct its category (then the rules place it again), send it
    to another jurisdiction (its rules decide), department, or person; `reason` is kept."""

    request_id: str
    reason: str
    author: str
    service_code: str | None = None
    jurisdiction: str | None = None
    department: str | None = None
    assignee: str | None = None
