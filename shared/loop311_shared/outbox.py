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
    session.execute(insert(outbox).values(
        event_id=envelope["id"],
        event_type=event_type,
        exchange=contract_for(event_type).exchange,
        envelope=envelope,
    ))
    return envelope


def publish_pending(session: Session, outbox: Table, publish, batch_size: int = 100) -> int:
    """Publish up to `batch_size` unpublished events, oldest first; return how many went out.

    `publish(exchange, routing_key, envelope)` must raise if the broker did not confirm.
    """
    rows = session.execute(
        select(outbox.c.id, outbox.c.exchange, outbox.c.event_type, outbox.c.envelope)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    published = 0
    try:
        for row in rows:
            publish(row.exchange, row.event_type, row.envelope)
            session.execute(
                update(outbox).where(outbox.c.id == row.id)
                .values(published_at=datetime.now(timezone.utc), attempts=outbox.c.attempts + 1)
            )
            published += 1
    except Exception as exc:
        if published < len(rows):
            session.execute(
                update(outbox).where(outbox.c.id == rows[published].id)
                .values(attempts=outbox.c.attempts + 1, last_error=repr(exc)[:2000])
            )
        session.commit()
        raise
    session.commit()
    return published


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
