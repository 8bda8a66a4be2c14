"""Integrators and webhooks: accounts on the broker, endpoints, the fan-out of public
events to them, and what each attempt at a delivery changes."""
import logging
import secrets
from datetime import datetime

from loop311_contracts.catalog import CATALOG, PUBLIC_EVENT_TYPES
from loop311_contracts.envelope import Event, envelope_of
from loop311_shared.clock import as_utc, iso, utcnow
from loop311_shared.errors import Conflict, NotFound, Unprocessable
from loop311_shared.topology import REPLAY_STREAM

from ..adapters.broker_accounts import (
    BrokerAccounts,
    Permissions,
    public_exchanges,
    queue_prefix,
    username_of,
)
from ..adapters.webhook_bindings import WebhookBindings
from ..commands import (
    CreateIntegrator,
    Redeliver,
    RegisterWebhook,
    UpdateWebhook,
)
from ..domain.webhooks import RetrySchedule, Targets, new_secret
from .queueing import queue_message

log = logging.getLogger(__name__)


def create_integrator(uow, command: CreateIntegrator, accounts: BrokerAccounts) -> dict:
    """The row and the broker user are made together or not at all."""
    username = username_of(command.name)
    if uow.integrations.integrator(command.name) is not None:
        raise Conflict(f"an integrator named {command.name!r} exists already")
    if accounts.exists(username):
        raise Conflict(f"the broker already has a user {username!r}")
    now = utcnow()
    uow.integrations.add_integrator(command.name, username, command.description,
                                    command.created_by, now)
    password = secrets.token_urlsafe(24)
    accounts.create(username, password, Permissions.for_integrator(command.name))
    try:
        # Committed here, not by the caller, so a failed commit can take the user away.
        uow.commit()
    except BaseException:
        accounts.remove(username)
        raise
    return {**integrator_answer(command.name, username, command.description, now),
            "password": password}


def integrator_answer(name, username, description, created_at) -> dict:
    return {"name": name, "username": username, "description": description,
            "created_at": created_at.isoformat(), "queue_prefix": queue_prefix(name),
            "exchanges": public_exchanges(), "replay_stream": REPLAY_STREAM}


def list_integrators(uow, _=None) -> list[dict]:
    return [integrator_answer(row.name, row.username, row.description, row.created_at)
            for row in uow.integrations.integrators()]


def revoke_integrator(uow, name: str, accounts: BrokerAccounts) -> None:
    row = uow.integrations.integrator(name, for_update=True)
    if row is None:
        raise NotFound(f"no integrator named {name!r}")
    accounts.remove(row.username)
    uow.integrations.remove_integrator(name)


# Webhooks


def checked_event_types(event_types: list[str]) -> list[str]:
    for event_type in event_types:
        if event_type not in CATALOG:
            raise Unprocessable(f"no event type {event_type!r}; the public ones are "
                                f"{', '.join(PUBLIC_EVENT_TYPES)}")
        if CATALOG[event_type].private:
            raise Unprocessable(f"{event_type!r} is not a public event and never leaves Loop311")
    return sorted(set(event_types))


def register_webhook(uow, command: RegisterWebhook, targets: Targets,
                     bindings: WebhookBindings) -> dict:
    event_types = checked_event_types(command.event_types)
    targets.check(command.url)
    secret = new_secret()
    uow.integrations.lock_bindings()
    webhook_id = uow.integrations.add_webhook(command.url, event_types, command.description,
                                              command.owner_email, secret, command.created_by,
                                              utcnow())
    # Before the commit: a committed webhook always has its queues bound.
    bindings.bind(event_types)
    return {**webhook_answer(uow.integrations.webhook(webhook_id)), "secret": secret}


def settle_webhook_bindings(uow, bindings: WebhookBindings) -> set[str]:
    """Bind the webhook queue of every type a webhook wants and unbind the others; the
    types bound. Called after a webhook is deleted or changed, and when notify starts.

    Under the lock registrations take, so a webhook registered meanwhile has either
    committed (and is seen here) or binds its types after this."""
    uow.integrations.lock_bindings()
    wanted = uow.integrations.wanted_event_types()
    bindings.bind(sorted(wanted))
    bindings.unbind([event_type for event_type in PUBLIC_EVENT_TYPES
                     if event_type not in wanted])
    return wanted


def webhook_answer(row) -> dict:
    return {"id": row.id, "url": row.url, "event_types": row.event_types,
            "description": row.description, "owner_email": row.owner_email,
            "status": row.status, "failing_since": iso(row.failing_since),
            "disabled_at": iso(row.disabled_at), "created_by": row.created_by,
            "created_at": iso(row.created_at)}


def list_webhooks(uow, _=None) -> list[dict]:
    return [webhook_answer(row) for row in uow.integrations.webhooks()]


def get_webhook(uow, webhook_id: str) -> dict:
    return webhook_answer(existing_webhook(uow, webhook_id))


def existing_webhook(uow, webhook_id: str, for_update: bool = False):
    row = uow.integrations.webhook(webhook_id, for_update=for_update)
    if row is None:
        raise NotFound(f"no webhook {webhook_id!r}")
    return row


def update_webhook(uow, command: UpdateWebhook, targets: Targets,
                   bindings: WebhookBindings) -> dict:
    """A type the webhook no longer wants stays bound until `settle_webhook_bindings`."""
    existing_webhook(uow, command.webhook_id, for_update=True)
    changes = dict(command.changes)
    if "url" in changes:
        targets.check(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = checked_event_types(changes["event_types"])
        uow.integrations.lock_bindings()
        bindings.bind(changes["event_types"])
    if changes.get("status") == "active":
        changes.update(failing_since=None, disabled_at=None)  # the owner says it is fixed
    uow.integrations.change_webhook(command.webhook_id, **changes)
    return webhook_answer(uow.integrations.webhook(command.webhook_id))


def delete_webhook(uow, webhook_id: str) -> None:
    existing_webhook(uow, webhook_id, for_update=True)
    uow.integrations.remove_webhook(webhook_id)


def delivery_log(uow, webhook_id: str, state: str | None = None, limit: int = 100) -> list[dict]:
    existing_webhook(uow, webhook_id)
    deliveries = uow.integrations.deliveries(webhook_id, state, limit)
    attempts: dict[int, list] = {}
    for attempt in uow.integrations.attempts([row.id for row in deliveries]):
        attempts.setdefault(attempt.delivery_id, []).append({
            "at": iso(attempt.attempted_at), "status_code": attempt.status_code,
            "error": attempt.error, "milliseconds": attempt.milliseconds})
    return [{"id": row.id, "event_id": row.event_id, "event_type": row.event_type,
             "event_time": iso(row.time), "state": row.state, "attempts": attempts.get(row.id, []),
             "next_attempt_at": iso(row.next_attempt_at) if row.state == "pending" else None,
             "delivered_at": iso(row.delivered_at)} for row in deliveries]


def redeliver(uow, command: Redeliver) -> dict:
    existing_webhook(uow, command.webhook_id)
    count = uow.integrations.requeue(command.webhook_id, utcnow(), command.delivery_id,
                                     command.since, command.until)
    if command.delivery_id is not None and count == 0:
        raise NotFound(f"webhook {command.webhook_id} has no delivery {command.delivery_id}")
    return {"queued": count}


# The fan-out and the dispatcher's bookkeeping


def webhooks_listening(uow, event_type: str) -> bool:
    return bool(uow.integrations.listening(event_type))


def handle_public_event(uow, event: Event) -> None:
    """Keep the event once and queue a delivery for each webhook that takes its type."""
    listening = uow.integrations.listening(event.type)
    if listening:
        uow.integrations.keep_event(envelope_of(event), event.time)
        uow.integrations.queue_deliveries(event.id, listening, utcnow())


def due_webhooks(uow, now: datetime) -> list[str]:
    return uow.integrations.due_webhooks(now)


def record_webhook_outcome(uow, work) -> None:
    webhook_id, delivery, outcome, schedule = work
    at = utcnow()
    if outcome.delivered:
        record_success(uow, delivery.id, webhook_id, at, outcome.status_code,
                       outcome.milliseconds)
    else:
        record_failure(uow, delivery.id, webhook_id, delivery.attempts + 1, at,
                       outcome.status_code, outcome.error, outcome.milliseconds, schedule)


def record_success(uow, delivery_id: int, webhook_id: str, at: datetime, status_code: int,
                   milliseconds: int) -> None:
    uow.integrations.record_attempt(delivery_id, at, status_code, None, milliseconds,
                                    state="delivered", delivered_at=at)
    uow.integrations.change_webhook(webhook_id, failing_since=None)


def record_failure(uow, delivery_id: int, webhook_id: str, attempts_made: int, at: datetime,
                   status_code: int | None, error: str | None, milliseconds: int,
                   schedule: RetrySchedule) -> None:
    """Retry on the schedule, or give the delivery up; disable an endpoint failing since
    longer than the schedule allows, and tell its owner."""
    retry_at = schedule.next_attempt(attempts_made, at)
    uow.integrations.record_attempt(
        delivery_id, at, status_code, error, milliseconds,
        **({"next_attempt_at": retry_at} if retry_at else {"state": "failed"}))
    webhook = uow.integrations.webhook(webhook_id, for_update=True)
    if webhook is None or webhook.status != "active":
        return
    if webhook.failing_since is None:
        uow.integrations.change_webhook(webhook_id, failing_since=at)
    elif schedule.should_disable(as_utc(webhook.failing_since), at):
        uow.integrations.change_webhook(webhook_id, status="disabled", disabled_at=at)
        log.warning("webhook %s (%s) disabled: failing since %s", webhook_id, webhook.url,
                    webhook.failing_since)
        if webhook.owner_email:
            queue_message(uow, "email", f"webhook-disabled:{webhook_id}:{at.isoformat()}",
                          "webhook_disabled", f"webhook:{webhook_id}", "en", {
                              "url": webhook.url, "webhook_id": webhook_id,
                              "failing_since": as_utc(webhook.failing_since).strftime(
                                  "%Y-%m-%d %H:%M UTC"),
                              "description": webhook.description}, None, None,
                          webhook.owner_email)


def lease_webhook_work(uow, lease):
    """(the webhook, its due deliveries leased until `until`), or None once it is not
    active or has nothing due."""
    webhook_id, now, until, limit = lease
    webhook = uow.integrations.webhook(webhook_id, with_secret=True)
    if webhook is None or webhook.status != "active":
        return None
    due = uow.integrations.lease_due(webhook_id, now, until, limit)
    return (webhook, due) if due else None
