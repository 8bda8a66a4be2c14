"""The one writer of integrator accounts, webhooks, the events they get, their deliveries
and the attempts at each (the delivery log)."""
import uuid
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from loop311_shared.db import lock_for_transaction

from ..models import integrators, webhook_attempts, webhook_deliveries, webhook_events, webhooks

PUBLIC_COLUMNS = [column for column in webhooks.c if column.name != "secret"]


class IntegrationRepository:
    def __init__(self, session: Session):
        self.session = session

    # Integrators

    def integrator(self, name: str, for_update: bool = False):
        query = select(integrators).where(integrators.c.name == name)
        return self.session.execute(query.with_for_update() if for_update else query).first()

    def integrators(self) -> list:
        return self.session.execute(select(integrators).order_by(integrators.c.name)).all()

    def add_integrator(self, name: str, username: str, description: str, created_by: str,
                       now: datetime) -> None:
        self.session.execute(insert(integrators).values(
            name=name, username=username, description=description, created_by=created_by,
            created_at=now))
        self.session.flush()

    def remove_integrator(self, name: str) -> None:
        self.session.execute(delete(integrators).where(integrators.c.name == name))

    # Webhooks

    def add_webhook(self, url: str, event_types: list[str], description: str,
                    owner_email: str | None, secret: str, created_by: str, now: datetime) -> str:
        webhook_id = str(uuid.uuid4())
        self.session.execute(insert(webhooks).values(
            id=webhook_id, url=url, event_types=event_types, description=description,
            owner_email=owner_email, secret=secret, status="active", created_by=created_by,
            created_at=now))
        return webhook_id

    def webhook(self, webhook_id: str, for_update: bool = False, with_secret: bool = False):
        query = select(*([webhooks] if with_secret else PUBLIC_COLUMNS)).where(
            webhooks.c.id == webhook_id)
        return self.session.execute(query.with_for_update() if for_update else query).first()

    def webhooks(self) -> list:
        return self.session.execute(select(*PUBLIC_COLUMNS).order_by(webhooks.c.created_at)).all()

    def change_webhook(self, webhook_id: str, **values) -> None:
        self.session.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))

    def remove_webhook(self, webhook_id: str) -> None:
        delivery_ids = select(webhook_deliveries.c.id).where(
            webhook_deliveries.c.webhook_id == webhook_id)
        self.session.execute(delete(webhook_attempts).where(
            webhook_attempts.c.delivery_id.in_(delivery_ids)))
        self.session.execute(delete(webhook_deliveries).where(
            webhook_deliveries.c.webhook_id == webhook_id))
        self.session.execute(delete(webhooks).where(webhooks.c.id == webhook_id))

    def lock_bindings(self) -> None:
        """Held until commit by whoever binds or unbinds the webhook queues."""
        lock_for_transaction(self.session, "webhook queue bindings")

    def wanted_event_types(self) -> set[str]:
        """The types of every webhook, a disabled one too (it may be made active again)."""
        rows = self.session.execute(select(webhooks.c.event_types)).scalars()
        return {event_type for event_types in rows for event_type in event_types}

    def listening(self, event_type: str) -> list[str]:
        """Webhooks that take `event_type` now or once resumed (not disabled ones)."""
        rows = self.session.execute(select(webhooks.c.id, webhooks.c.event_types).where(
            webhooks.c.status.in_(("active", "paused")))).all()
        return [row.id for row in rows if event_type in row.event_types]

    # Events and deliveries

    def keep_event(self, envelope: dict, time: datetime) -> None:
        """Kept once: the fan-out applies each event once (the inbox), and the primary key
        turns a race of replicas into a retry that finds it applied."""
        self.session.execute(insert(webhook_events).values(
            event_id=envelope["id"], event_type=envelope["type"], time=time,
            envelope=envelope))

    def queue_deliveries(self, event_id: str, webhook_ids: list[str], now: datetime) -> None:
        self.session.execute(insert(webhook_deliveries), [
            {"webhook_id": webhook_id, "event_id": event_id, "state": "pending",
             "attempts": 0, "next_attempt_at": now} for webhook_id in webhook_ids])

    def due_webhooks(self, now: datetime) -> list[str]:
        return list(self.session.scalars(
            select(webhook_deliveries.c.webhook_id).distinct()
            .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
            .where(webhooks.c.status == "active", webhook_deliveries.c.state == "pending",
                   webhook_deliveries.c.next_attempt_at <= now,
                   or_(webhook_deliveries.c.leased_until.is_(None),
                       webhook_deliveries.c.leased_until <= now))))

    def lease_due(self, webhook_id: str, now: datetime, until: datetime, limit: int) -> list:
        """Claim up to `limit` due deliveries of one webhook until `until` (another replica
        skips them; a dead one's lease runs out) with their envelopes, oldest first."""
        due = (select(webhook_deliveries.c.id)
               .where(webhook_deliveries.c.webhook_id == webhook_id,
                      webhook_deliveries.c.state == "pending",
                      webhook_deliveries.c.next_attempt_at <= now,
                      or_(webhook_deliveries.c.leased_until.is_(None),
                          webhook_deliveries.c.leased_until <= now))
               .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id)
               .limit(limit).with_for_update(skip_locked=True))
        ids = list(self.session.scalars(due))
        if not ids:
            return []
        self.session.execute(update(webhook_deliveries).where(
            webhook_deliveries.c.id.in_(ids)).values(leased_until=until))
        return self.session.execute(
            select(webhook_deliveries.c.id, webhook_deliveries.c.attempts,
                   webhook_events.c.event_id, webhook_events.c.envelope)
            .join(webhook_events, webhook_events.c.event_id == webhook_deliveries.c.event_id)
            .where(webhook_deliveries.c.id.in_(ids))
            .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id)).all()

    def record_attempt(self, delivery_id: int, at: datetime, status_code: int | None,
                       error: str | None, milliseconds: int, **delivery) -> None:
        self.session.execute(insert(webhook_attempts).values(
            delivery_id=delivery_id, attempted_at=at, status_code=status_code, error=error,
            milliseconds=milliseconds))
        self.session.execute(update(webhook_deliveries).where(
            webhook_deliveries.c.id == delivery_id).values(
            attempts=webhook_deliveries.c.attempts + 1, leased_until=None, **delivery))

    def deliveries(self, webhook_id: str, state: str | None, limit: int) -> list:
        query = (select(webhook_deliveries, webhook_events.c.event_type, webhook_events.c.time)
                 .join(webhook_events, webhook_events.c.event_id == webhook_deliveries.c.event_id)
                 .where(webhook_deliveries.c.webhook_id == webhook_id)
                 .order_by(webhook_deliveries.c.id.desc()).limit(limit))
        if state:
            query = query.where(webhook_deliveries.c.state == state)
        return self.session.execute(query).all()

    def attempts(self, delivery_ids: list[int]) -> list:
        return self.session.execute(select(webhook_attempts).where(
            webhook_attempts.c.delivery_id.in_(delivery_ids)).order_by(webhook_attempts.c.id)).all()

    def requeue(self, webhook_id: str, now: datetime, delivery_id: int | None = None,
                since: datetime | None = None, until: datetime | None = None) -> int:
        """Deliver again, now: one delivery, or every event of the webhook in a time range
        (delivered or not). Returns how many."""
        events = select(webhook_events.c.event_id)
        if since is not None:
            events = events.where(webhook_events.c.time >= since)
        if until is not None:
            events = events.where(webhook_events.c.time < until)
        query = update(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id)
        if delivery_id is not None:
            query = query.where(webhook_deliveries.c.id == delivery_id)
        else:
            query = query.where(webhook_deliveries.c.event_id.in_(events))
        return self.session.execute(query.values(
            state="pending", next_attempt_at=now, leased_until=None)).rowcount

    def pending_count(self, webhook_id: str) -> int:
        return self.session.scalar(select(func.count()).select_from(webhook_deliveries).where(
            webhook_deliveries.c.webhook_id == webhook_id,
            webhook_deliveries.c.state == "pending"))
