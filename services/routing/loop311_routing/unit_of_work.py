"""routing's unit of work: one transaction, with the directory repository attached."""
from sqlalchemy.orm import Session

from loop311_shared.unit_of_work import UnitOfWork

from .models import inbox, outbox
from .repository import DirectoryRepository


class RoutingUnitOfWork(UnitOfWork):
    outbox = outbox
    inbox = inbox

    def __init__(self, session: Session, consumer: str | None = None):
        super().__init__(session, consumer)
        self.directory = DirectoryRepository(session)
