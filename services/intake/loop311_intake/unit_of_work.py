"""Intake's unit of work: one transaction, its repositories, and the collaborators its
handlers use (rules from settings, the geocoder, the category guesser), so every handler
has the same signature: `handler(uow, command)`."""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from loop311_shared.unit_of_work import UnitOfWork

from .domain.duplicates import DuplicatePolicy
from .models import inbox, outbox
from .repository import (
    CatalogRepository,
    CategoryModelRepository,
    ConversationRepository,
    IdempotencyRepository,
    JurisdictionRepository,
    RatingRepository,
    RequestRepository,
)


@dataclass(frozen=True)
class IntakeRules:
    """The settings that shape how requests are accepted, parsed once at start."""

    jurisdiction_id: str = "city"
    phone_region: str = "US"
    duplicates: DuplicatePolicy = field(default_factory=DuplicatePolicy)
    conversation_expiry: timedelta = timedelta(minutes=30)
    reply_window: timedelta = timedelta(days=14)
    media_base: str = ""
    keep_original_photos: bool = False

    @classmethod
    def from_settings(cls, settings) -> "IntakeRules":
        return cls(jurisdiction_id=settings.jurisdiction_id,
                   phone_region=settings.default_phone_region,
                   duplicates=DuplicatePolicy(settings.duplicate_radius_meters,
                                              timedelta(hours=settings.duplicate_window_hours)),
                   conversation_expiry=timedelta(minutes=settings.sms_conversation_minutes),
                   reply_window=timedelta(days=settings.sms_reply_window_days),
                   media_base=settings.public_base_url,
                   keep_original_photos=settings.keep_original_photos)


class IntakeUnitOfWork(UnitOfWork):
    outbox = outbox
    inbox = inbox

    def __init__(self, session: Session, consumer: str = "intake", rules: IntakeRules | None = None,
                 geocoder=None, categories=None):
        super().__init__(session, consumer)
        self.requests = RequestRepository(session)
        self.catalog = CatalogRepository(session)
        self.category_models = CategoryModelRepository(session)
        self.ratings = RatingRepository(session)
        self.conversations = ConversationRepository(session)
        self.idempotency = IdempotencyRepository(session)
        self.jurisdictions = JurisdictionRepository(session)
        self.rules = rules or IntakeRules()
        self.geocoder = geocoder
        self.categories = categories

    def guesser(self, jurisdiction_id: str | None = None):
        """The category guesser for a report filed in this jurisdiction (the platform's
        when none is given): its learned model when it has one, or else the platform's,
        or else the keyword guesser of the catalog in force."""
        chain = tuple(dict.fromkeys(j for j in (jurisdiction_id, self.rules.jurisdiction_id)
                                    if j))
        return self.categories.for_report(self.catalog, self.category_models, chain)

    def keyword_guesser(self):
        """The cold start: the catalog's names and keywords."""
        return self.categories.current(self.catalog)
