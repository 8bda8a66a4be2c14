"""sla's unit of work: one transaction, its repository, and the policies in force."""
from sqlalchemy.orm import Session

from loop311_shared.unit_of_work import UnitOfWork

from .dependencies import PoliciesCache
from .models import inbox, outbox
from .repository import SlaRepository


class SlaUnitOfWork(UnitOfWork):
    outbox = outbox
    inbox = inbox

    def __init__(self, session: Session, consumer: str | None = None,
                 policies: PoliciesCache | None = None):
        super().__init__(session, consumer)
        self.sla = SlaRepository(session)
        self.policies = policies or PoliciesCache()

    def policies_in_force(self):
        return self.policies.current(self.sla)
