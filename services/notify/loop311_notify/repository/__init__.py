"""notify's repositories: each table has exactly one writer here."""
from .integrations import IntegrationRepository
from .ledger import (
    LedgerRepository,
    OptOutRepository,
    PreferenceRepository,
    StaffRepository,
    WorkRepository,
)
from .subscriptions import (
    BroadcastRepository,
    PushRepository,
    SubscriptionRepository,
    TopicRepository,
)

__all__ = ["BroadcastRepository", "IntegrationRepository", "LedgerRepository",
           "OptOutRepository", "PreferenceRepository", "PushRepository", "StaffRepository",
           "SubscriptionRepository", "TopicRepository", "WorkRepository"]
