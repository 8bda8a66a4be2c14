"""Intake's repositories: each table has exactly one writer here."""
from .catalog import CatalogRepository
from .conversations import ConversationRepository
from .idempotency import IdempotencyRepository
from .jurisdictions import JurisdictionRepository
from .ratings import RatingRepository
from .requests import RequestRepository

__all__ = ["CatalogRepository", "ConversationRepository", "IdempotencyRepository",
           "JurisdictionRepository", "RatingRepository", "RequestRepository"]
