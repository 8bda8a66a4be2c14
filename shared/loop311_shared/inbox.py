"""Idempotent consumers: each (consumer, event id) is applied at most once.

`first_delivery` inserts the marker inside the transaction that applies the event, so the
marker and the state change commit or roll back together (see `unit_of_work.apply_once`).
"""
from functools import cache

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from loop311_contracts.envelope import Event

INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def first_delivery(session: Session, inbox: Table, consumer: str, event: Event) -> bool:
    """Mark the event applied by `consumer`; False if it already was. One statement: the
    insert skips a marker that exists, and one that another replica has written but not
    committed makes it wait for that commit (then skip) or rollback (then insert)."""
    marked = session.execute(_marking(session.get_bind().dialect.name, inbox), {
        "consumer": consumer, "event_id": event.id, "event_type": event.type}).first()
    return marked is not None


@cache
def _marking(dialect: str, inbox: Table):
    # Built once: composing a statement costs more CPU than running it, on every event.
    return INSERTS[dialect](inbox).on_conflict_do_nothing().returning(inbox.c.event_id)
