"""notify's unit of work: one transaction, with the ledger and opt-out repositories."""
from sqlalchemy.orm import Session

from loop311_shared.unit_of_work import UnitOfWork

from .domain.messages import Messages, default_messages
from .models import inbox, outbox
from .repository import LedgerRepository, OptOutRepository, StaffRepository


class NotifyUnitOfWork(UnitOfWork):
    outbox = outbox
    inbox = inbox

    def __init__(self, session: Session, consumer: str | None = None,
                 messages: Messages | None = None, sms: bool = False):
        super().__init__(session, consumer)
        self.ledger = LedgerRepository(session)
        self.opt_outs = OptOutRepository(session)
        self.staff = StaffRepository(session)
        self.messages = messages or default_messages()
        self.sms = sms  # whether texts can be sent (an SMS provider is configured)
