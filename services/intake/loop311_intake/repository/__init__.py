"""Intake's repositories: each table has exactly one writer here."""
from .catalog import CatalogRepository
from .category_models import CategoryModelRepository
from .conversations import ConversationRepository
from .idempotency import IdempotencyRepository
from .jurisdictions import JurisdictionRepository
from .ratings import RatingRepository
from .requests import RequestRepository

__all__ = ["CatalogRepository", "CategoryModelRepository", "ConversationRepository", "IdempotencyRepository",
           "JurisdictionRepository", "RatingRepository", "RequestRepository"]
