"""The shared messaging plumbing on the real broker and PostgreSQL: retry with backoff,
dead-lettering, poison messages, idempotent consumers and the outbox relay."""
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from kombu import Connection, Queue
from sqlalchemy import select

import loop311_routing
from loop311_contracts.envelope import make_envelope, read_envelope
from loop311_routing.models import outbox
from loop311_routing.unit_of_work import RoutingUnitOfWork
from loop311_shared.db import Database
from loop311_shared.messaging import OutboxRelay, handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints
from loop311_shared.outbox import record_event
from loop311_shared.unit_of_work import apply_once
from support import publish_envelope, wait_until

MIGRATIONS = Path(loop311_routing.__file__).parent / "migrations"
QUEUE = "loop311.routing.request_created"


def request_created(request_id="7"):
    return make_envelope("request_created", request_id, {
        "request_id": request_id, "service_code": "pothole", "service_name": "Pothole",
        "description": "deep", "lat": 42.35, "long": -71.06, "address": None,
        "channel": "web", "priority": "normal", "contact_ref": None,
        "requested_at": datetime.now(timezone.utc),
    })


class Attempts:
    """What the test services did, observable from the test."""
    times: list = []
    applied: list = []
    failures_left = 0


@pytest.fixture(autouse=True)
def fresh_attempts():
    Attempts.times, Attempts.applied, Attempts.failures_left = [], [], 0


def note_application(uow, event):
    Attempts.applied.append(event.id)


class FlakyRouting(OperationalEndpoints):
    """Fails its first `Attempts.failures_left` attempts, then applies the event once."""

    name = "routing"
    database = Database(MIGRATIONS)
    metrics = Metrics()

    @handle_event("request_created")
    def handle_request_created(self, event):
        Attempts.times.append(time.monotonic())
        if Attempts.failures_left:
            Attempts.failures_left -= 1
            raise RuntimeError("downstream unavailable")
        return apply_once(RoutingUnitOfWork(self.database, self.name), event, note_application)


def dead_letters(amqp_uri):
    with Connection(amqp_uri) as connection:
        queue = Queue(f"{QUEUE}.dead", durable=True)(connection.default_channel)
        queue.declare()
        messages = []
        while (message := queue.get(no_ack=True)) is not None:
            messages.append(message)
        return messages


def metric(config, entrypoint, outcome):
    body = requests.get(f"http://{config['WEB_SERVER_ADDRESS']}/metrics", timeout=5).text
    line = (f'loop311_entrypoint_calls_total{{entrypoint="{entrypoint}",outcome="{outcome}",'
            f'service="routing"}}')
    return next((float(row.split()[-1]) for row in body.splitlines() if row.startswith(line)),
                0.0)


@pytest.fixture
def flaky_routing(container_factory, service_config):
    config = service_config("routing")
    container_factory(FlakyRouting, config).start()
    return config


def test_a_failing_handler_is_retried_with_backoff_then_applied_once(flaky_routing):
    Attempts.failures_left = 2
    publish_envelope(flaky_routing["AMQP_URI"], request_created())

    wait_until(lambda: Attempts.applied, message="event never applied")
    first, second, third = Attempts.times
    assert second - first >= 0.1  # the configured delays are 100 ms, then 200 ms
    assert third - second >= 0.2
    assert len(Attempts.applied) == 1
    assert dead_letters(flaky_routing["AMQP_URI"]) == []


def test_a_handler_that_keeps_failing_is_dead_lettered_not_looped(flaky_routing):
    Attempts.failures_left = 1_000
    envelope = request_created()
    publish_envelope(flaky_routing["AMQP_URI"], envelope)

    parked = wait_until(lambda: dead_letters(flaky_routing["AMQP_URI"]),
                        message="message never dead-lettered")
    assert len(parked) == 1
    assert json.loads(parked[0].body)["id"] == envelope["id"]
    assert parked[0].headers["x-loop311-attempt"] == 3
    assert "downstream unavailable" in parked[0].headers["x-loop311-error"]
    # 1 try + 2 retries, and nothing after it was parked
    wait_until(lambda: metric(flaky_routing, "handle_request_created", "error") == 3,
               message="attempts not counted")
    assert len(Attempts.times) == 3
    assert Attempts.applied == []


@pytest.mark.parametrize("body", [{"hello": "world"}, {**request_created(), "type": "moon_landed"},
                                  {**request_created(), "dataversion": 9}])
def test_a_poison_message_goes_straight_to_the_dead_letter_queue(flaky_routing, body):
    with Connection(flaky_routing["AMQP_URI"]) as connection:
        connection.Producer().publish(body, exchange="", routing_key=QUEUE, serializer="json")

    parked = wait_until(lambda: dead_letters(flaky_routing["AMQP_URI"]),
                        message="poison message not dead-lettered")
    assert json.loads(parked[0].body) == body
    assert parked[0].headers["x-loop311-attempt"] == 1
    assert "PoisonMessage" in parked[0].headers["x-loop311-error"]
    assert Attempts.times == []


def test_a_redelivered_event_is_applied_once_and_counted_as_duplicate(flaky_routing):
    envelope = request_created()
    publish_envelope(flaky_routing["AMQP_URI"], envelope)
    publish_envelope(flaky_routing["AMQP_URI"], envelope)

    wait_until(lambda: metric(flaky_routing, "handle_request_created", "duplicate") == 1,
               message="second delivery not seen")
    assert metric(flaky_routing, "handle_request_created", "applied") == 1
    assert Attempts.applied == [envelope["id"]]


class PublishingIntake(OperationalEndpoints):
    """Writes a request_created through the outbox, committed or rolled back."""

    name = "intake"
    database = Database(MIGRATIONS)
    outbox_relay = OutboxRelay("database", outbox)
    metrics = Metrics()

    @handle_event("request_assigned")
    def never_called(self, event):
        raise AssertionError("no request_assigned is published in these tests")


def test_the_relay_publishes_committed_events_into_queues_declared_before_consumers_exist(
        container_factory, service_config):
    config = service_config("intake")
    container = container_factory(PublishingIntake, config)
    container.start()
    database = next(d for d in container.dependencies if d.attr_name == "database")

    with database.make_session() as session:
        record_event(session, outbox, "request_created", "8", read_envelope(request_created("8")).data)
        session.rollback()
    with database.make_session() as session:
        committed = record_event(session, outbox, "request_created", "9",
                                 read_envelope(request_created("9")).data)
        session.commit()

    # routing has never run in this vhost: its queue exists because intake declared it.
    with Connection(config["AMQP_URI"]) as connection:
        queue = Queue(QUEUE, durable=True)(connection.default_channel)
        message = wait_until(lambda: queue.get(no_ack=True), message="event not published")
        assert json.loads(message.body)["id"] == committed["id"]
        assert message.delivery_info["exchange"] == "intake.events"
        assert message.delivery_info["routing_key"] == "request_created"
        assert queue.get(no_ack=True) is None  # the rolled-back event never went out
    with database.make_session() as session:
        published = session.execute(select(outbox.c.event_id, outbox.c.published_at)).all()
    assert [(row.event_id, row.published_at is not None) for row in published] == [
        (committed["id"], True)]


def test_health_reports_database_and_broker(container_factory, service_config):
    config = service_config("intake")
    container_factory(PublishingIntake, config).start()

    answer = requests.get(f"http://{config['WEB_SERVER_ADDRESS']}/health", timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "broker": "ok"}
