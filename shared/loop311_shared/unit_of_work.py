"""The unit of work: one transaction around one command or one consumed event.

It holds the session, the outbox (events to publish, written beside the state they
describe) and the inbox (events already applied). Handlers never commit: `run` and
`apply_once` commit once when the handler returns and roll back on any error.
Each service subclasses it to name its tables and attach its repositories.
"""
from enum import Enum
from typing import Callable, ClassVar, TypeVar

from sqlalchemy import Table
from sqlalchemy.orm import Session

from loop311_contracts.envelope import Event

from .inbox import first_delivery
from .outbox import record_event

Result = TypeVar("Result")


class Delivery(Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"


class UnitOfWork:
    outbox: ClassVar[Table]
    inbox: ClassVar[Table]

    def __init__(self, session: Session, consumer: str | None = None):
        self.session = session
        self.consumer = consumer

    def publish(self, event_type: str, subject: str, data: dict) -> dict:
        """Write the event to the outbox; it leaves when (and only if) this work commits."""
        return record_event(self.session, self.outbox, event_type, subject, data)

    def first_delivery(self, event: Event) -> bool:
        return first_delivery(self.session, self.inbox, self.consumer, event)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


def run(uow: UnitOfWork, handler: Callable[[UnitOfWork, object], Result], command) -> Result:
    """Carry out `command` with `handler` in one transaction."""
    try:
        result = handler(uow, command)
        uow.commit()
    except BaseException:
        uow.rollback()
        raise
    return result


def apply_once(uow: UnitOfWork, event: Event, handler: Callable[[UnitOfWork, Event], None]) -> Delivery:
    """Apply `event` with `handler` and commit, unless this consumer has applied it before."""
    try:
        if not uow.first_delivery(event):
            uow.rollback()
            return Delivery.DUPLICATE
        handler(uow, event)
        uow.commit()
    except BaseException:
        uow.rollback()
        raise
    return Delivery.APPLIED
