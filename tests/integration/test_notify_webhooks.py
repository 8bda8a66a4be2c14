"""Webhook bookkeeping without an endpoint, on PostgreSQL and the broker: the fan-out, the
retry schedule, disabling an endpoint that keeps failing (its owner told), where a webhook
may not point, and a registration the broker cannot bind."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import loop311_notify
from loop311_notify import handlers
from loop311_notify.adapters.webhook_bindings import WebhookBindings
from loop311_notify.adapters.webhook_sender import Outcome
from loop311_notify.commands import RegisterWebhook
from loop311_notify.domain.webhooks import RetrySchedule, Targets
from loop311_notify.models import deliveries, webhook_deliveries, webhooks
from loop311_notify.unit_of_work import NotifyUnitOfWork
from loop311_shared.clock import as_utc
from loop311_shared.db import make_engine, migrate
from loop311_shared.errors import Unavailable, Unprocessable
from loop311_shared.unit_of_work import apply_once, run
from support import received_event

SCHEDULE = RetrySchedule((5, 300, 1800), timedelta(hours=72))
ANYWHERE = Targets(frozenset({5672, 15672, 8001}))
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def session(new_database):
    engine = make_engine(new_database("notify"))
    migrate(engine, Path(loop311_notify.__file__).parent / "migrations")
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def bindings(rabbit_config):
    return WebhookBindings(rabbit_config["AMQP_URI"])


def register(session, bindings, event_types=("request_created",),
             owner_email="gis@county.example"):
    return run(NotifyUnitOfWork(session), lambda uow, command: handlers.register_webhook(
        uow, command, ANYWHERE, bindings), RegisterWebhook(
            "http://127.0.0.1:9/hook", list(event_types), "GIS", owner_email, "tests"))


def created(request_id):
    return received_event("request_created", {
        "request_id": request_id, "service_code": "pothole", "service_name": "Pothole",
        "description": "deep", "lat": None, "long": None, "address": None, "channel": "web",
        "priority": "normal", "contact_ref": None, "requested_at": T0})


def test_each_event_is_kept_once_for_each_webhook_of_its_type(session, bindings):
    first, other = register(session, bindings), register(session, bindings, ("sla_met",))
    event = created("1")

    for _ in range(2):  # a redelivery is recognised by the inbox
        apply_once(NotifyUnitOfWork(session, "webhooks"), event, handlers.handle_public_event)

    queued = session.execute(select(webhook_deliveries.c.webhook_id)).scalars().all()
    assert queued == [first["id"]]
    assert other["id"] not in queued


def test_a_registration_the_broker_cannot_bind_is_refused_and_nothing_is_kept(session):
    nowhere = WebhookBindings("amqp://guest:guest@127.0.0.1:9//")

    with pytest.raises(Unavailable, match="message broker cannot be reached"):
        register(session, nowhere)

    assert session.execute(select(webhooks)).all() == []


def test_the_schedule_spaces_retries_then_gives_up():
    assert SCHEDULE.next_attempt(1, T0) == T0 + timedelta(seconds=5)
    assert SCHEDULE.next_attempt(3, T0) == T0 + timedelta(seconds=1800)
    assert SCHEDULE.next_attempt(4, T0) is None
    assert not SCHEDULE.should_disable(T0, T0 + timedelta(hours=71, minutes=59))
    assert SCHEDULE.should_disable(T0, T0 + timedelta(hours=72))


def fail(session, webhook_id, at):
    apply_once(NotifyUnitOfWork(session, "webhooks"), created(at.isoformat()),
               handlers.handle_public_event)
    delivery_id, attempts = session.execute(
        select(webhook_deliveries.c.id, webhook_deliveries.c.attempts)
        .where(webhook_deliveries.c.state == "pending")
        .order_by(webhook_deliveries.c.id.desc())).first()
    handlers.integrations.record_failure(NotifyUnitOfWork(session), delivery_id, webhook_id,
                                         attempts + 1, at, 503, "answered 503", 12, SCHEDULE)
    session.commit()


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_owner_told(session, bindings):
    webhook = register(session, bindings)

    fail(session, webhook["id"], T0)
    fail(session, webhook["id"], T0 + timedelta(hours=71))
    assert session.execute(select(webhooks.c.status)).scalar() == "active"
    fail(session, webhook["id"], T0 + timedelta(hours=72))

    row = session.execute(select(webhooks)).first()
    assert (row.status, as_utc(row.failing_since), as_utc(row.disabled_at)) == (
        "disabled", T0, T0 + timedelta(hours=72))
    [told] = session.execute(select(deliveries)).all()
    assert (told.recipient, told.channel, told.kind) == (
        "gis@county.example", "email", "webhook_disabled")
    assert "http://127.0.0.1:9/hook" in told.body and "2026-11-20 09:00 UTC" in told.body
    # Disabled: new events are not kept for it any more.
    apply_once(NotifyUnitOfWork(session, "webhooks"), created("late"),
               handlers.handle_public_event)
    assert session.execute(select(webhook_deliveries.c.id).where(
        webhook_deliveries.c.event_id == created("late").id)).first() is None


def test_one_success_clears_the_failing_streak(session, bindings):
    webhook = register(session, bindings)
    fail(session, webhook["id"], T0)
    delivery = session.execute(select(webhook_deliveries)).first()

    run(NotifyUnitOfWork(session), handlers.record_webhook_outcome,
        (webhook["id"], delivery, Outcome(204, None, 3), SCHEDULE))

    assert session.execute(select(webhooks.c.failing_since)).scalar() is None


@pytest.mark.parametrize("url, says", [
    ("http://127.0.0.1:5672/", "own port"),
    ("http://10.1.2.3:8001/", "own port"),
    ("http://[::1]:15672/", "own port"),
    ("http://169.254.169.254/", "no webhook may use"),
    ("mailto:gis@county.example", "http:// or https://"),
    ("http://127.0.0.1:99999/", "invalid port"),
])
def test_forbidden_targets(url, says):
    with pytest.raises(Unprocessable, match=says):
        ANYWHERE.check(url)


def test_a_public_host_on_a_forbidden_port_is_fine_and_the_brokers_host_is_not():
    Targets(frozenset({5672})).check("http://8.8.8.8:5672/")  # someone else's host
    with pytest.raises(Unprocessable):
        Targets(frozenset({5672}), ("8.8.8.8",)).check("http://8.8.8.8:5672/")
