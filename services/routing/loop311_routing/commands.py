"""What routing can be asked to do."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportDirectory:
    """Make `document` (loop311.directory/2, loaded) the directory in force."""

    document: dict
    author: str
