"""Idempotent consumers: each (consumer, event id) is applied at most once.

`first_delivery` inserts the marker inside the transaction that applies the event, so the
marker and the state change commit or roll back together (see `unit_of_work.apply_once`).
"""
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from loop311_contracts.envelope import Event


def first_delivery(session: Session, inbox: Table, consumer: str, event: Event) -> bool:
    seen = session.execute(
        select(inbox.c.event_id)
        .where(inbox.c.consumer == consumer, inbox.c.event_id == event.id)
        .with_for_update()
    ).first()
    if seen:
        return False
    # Two replicas racing on one redelivery: the loser's commit fails on the primary key,
    # its handler is retried, and the retry finds the marker.
    session.execute(insert(inbox).values(consumer=consumer, event_id=event.id, event_type=event.type))
    return True
