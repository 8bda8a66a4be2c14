"""notify's repositories: each table has exactly one writer here."""
from .ledger import (
    LedgerRepository,
    OptOutRepository,
    PreferenceRepository,
    StaffRepository,
    WorkRepository,
)

__all__ = ["LedgerRepository", "OptOutRepository", "PreferenceRepository", "StaffRepository",
           "WorkRepository"]
