"""Transactional outbox: events are rows written beside the state change they describe.

`record_event` is called inside the caller's transaction; `publish_pending` is run by the
relay and publishes committed rows with publisher confirms, several replicas safely
(`FOR UPDATE SKIP LOCKED`). A crash between publish and commit republishes the event,
which the consumers' inbox absorbs.
"""
from datetime import datetime, timezone

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from loop311_contracts.catalog import contract_for
from loop311_contracts.envelope import make_envelope


def record_event(session: Session, outbox: Table, event_type: str, subject: str, data: dict) -> dict:
    envelope = make_envelope(event_type, subject, data)
    session.execute(insert(outbox), {
        "event_id": envelope["id"],
        "event_type": event_type,
        "exchange": contract_for(event_type).exchange,
        "envelope": envelope,
    })
    return envelope


BATCH = 100  # events per publish, and per wait for their confirms


def publish_pending(session: Session, outbox: Table, publish_batch, batch_size: int = BATCH) -> int:
    """Publish up to `batch_size` unpublished events, oldest first; return how many went out.

    `publish_batch([(exchange, routing_key, envelope), …])` must raise unless the broker
    confirmed every one. A batch that fails is published again whole later (consumers drop
    the copies of the ones that did arrive); each of its rows records the error.
    """
    rows = session.execute(
        select(outbox.c.id, outbox.c.exchange, outbox.c.event_type, outbox.c.envelope)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        session.commit()
        return 0
    batch = outbox.c.id.in_([row.id for row in rows])
    try:
        publish_batch([(row.exchange, row.event_type, row.envelope) for row in rows])
    except Exception as exc:
        session.execute(update(outbox).where(batch).values(
            attempts=outbox.c.attempts + 1, last_error=repr(exc)[:2000]))
        session.commit()
        raise
    session.execute(update(outbox).where(batch).values(
        published_at=datetime.now(timezone.utc), attempts=outbox.c.attempts + 1))
    session.commit()
    return len(rows)


def pending_count(session: Session, outbox: Table) -> int:
    return session.execute(
        select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    ).scalar_one()


def oldest_unpublished_age(session: Session, outbox: Table) -> float:
    """Seconds the oldest unpublished event has waited (0 when none waits)."""
    oldest = session.execute(select(func.min(outbox.c.created_at))
                             .where(outbox.c.published_at.is_(None))).scalar()
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    return max(0.0, (datetime.now(timezone.utc) - oldest).total_seconds())
