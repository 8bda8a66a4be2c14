"""What sla can be asked to do."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportPolicies:
    """Replace the SLA policies with `document` (loop311.policies/1)."""

    document: dict
    author: str
