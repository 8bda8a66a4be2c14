"""What routing can be asked to do."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportDirectory:
    """Replace the departments and category routes with `document` (loop311.directory/1)."""

    document: dict
    author: str
