"""sla's unit of work: one transaction, with sla's repository attached."""
from sqlalchemy.orm import Session

from loop311_shared.unit_of_work import UnitOfWork

from .models import inbox, outbox
from .repository import SlaRepository


class SlaUnitOfWork(UnitOfWork):
    outbox = outbox
    inbox = inbox

    def __init__(self, session: Session, consumer: str | None = None):
        super().__init__(session, consumer)
        self.sla = SlaRepository(session)
