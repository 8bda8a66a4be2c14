"""Webhooks for real: notify consumes public events from the broker and POSTs them to a
receiver on this machine, which checks each signature with the standardwebhooks library."""
import json
import time

import pytest
import requests
from kombu import Connection
from standardwebhooks.webhooks import Webhook

from devtools.webhook_receiver import WebhookReceiver
from loop311_contracts.catalog import PUBLIC_EVENT_TYPES, queue_name
from loop311_notify.service import NotifyService
from loop311_shared.topology import consumer_queue, declare
from support import TEST_ADMIN_TOKEN, publish_envelope, request_created, wait_until

ADMIN = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}
TIMEOUT_SECONDS = 4


def endpoints(request, tries):
    """/flaky answers 500 twice per message, then 200; /hang never in time; the rest 200."""
    if request["path"] == "/hang":
        time.sleep(TIMEOUT_SECONDS * 3)
    return 500 if request["path"] == "/flaky" and tries <= 2 else 200


@pytest.fixture
def receiver():
    receiver = WebhookReceiver(endpoints)
    yield receiver
    receiver.close()


@pytest.fixture
def notify(container_factory, service_config):
    config = service_config("notify", WEBHOOK_RETRY_SECONDS="0.3,0.3,0.3",
                            WEBHOOK_POLL_SECONDS=0.1, WEBHOOK_TIMEOUT_SECONDS=TIMEOUT_SECONDS)
    config["url"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    container_factory(NotifyService, config).start()
    return config


def register(notify, url, event_types=("request_created",), **extra):
    return requests.post(f"{notify['url']}/integrations/v1/webhooks", headers=ADMIN, json={
        "url": url, "event_types": list(event_types), "description": "tests", **extra},
        timeout=20)


def test_a_receiver_verifies_each_delivery_and_sees_the_retries_after_two_500s(notify, receiver):
    made = register(notify, f"{receiver.url}/flaky")
    assert made.status_code == 201, made.text
    webhook = made.json()
    assert webhook["secret"].startswith("whsec_") and webhook["status"] == "active"
    envelope = request_created("w-1")

    publish_envelope(notify["AMQP_URI"], envelope)

    tries = wait_until(lambda: len(receiver.received("/flaky")) == 3 and receiver.received("/flaky"),
                       message="three tries did not arrive")
    for attempt in tries:
        payload = Webhook(webhook["secret"]).verify(attempt["body"], attempt["headers"])
        assert payload == json.loads(json.dumps(envelope))  # the bus's CloudEvent, as it was
        assert attempt["headers"]["webhook-id"] == envelope["id"]
        assert attempt["headers"]["content-type"].startswith("application/cloudevents+json")
    with pytest.raises(Exception):
        Webhook("whsec_" + "A" * 32).verify(tries[0]["body"], tries[0]["headers"])
    log = wait_until(lambda: deliveries(notify, webhook["id"], "delivered"),
                     message="the delivery log never said delivered")
    assert [attempt["status_code"] for attempt in log[0]["attempts"]] == [500, 500, 200]
    assert log[0]["event_type"] == "request_created"

    again = requests.post(f"{notify['url']}/integrations/v1/webhooks/{webhook['id']}/deliveries/"
                          f"{log[0]['id']}/redeliver", headers=ADMIN, timeout=10)
    assert again.status_code == 202 and again.json() == {"queued": 1}
    wait_until(lambda: len(receiver.received("/flaky")) == 4, message="no redelivery")


def deliveries(notify, webhook_id, state=None):
    answer = requests.get(f"{notify['url']}/integrations/v1/webhooks/{webhook_id}/deliveries",
                          params={"state": state} if state else {}, headers=ADMIN, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_dead_endpoint_does_not_delay_another(notify, receiver):
    register(notify, f"{receiver.url}/hang")
    register(notify, f"{receiver.url}/ok")
    published = time.monotonic()

    for number in range(5):
        publish_envelope(notify["AMQP_URI"], request_created(f"w-dead-{number}"))

    healthy = wait_until(lambda: len(receiver.received("/ok")) == 5 and receiver.received("/ok"),
                         message="the healthy endpoint did not get its five events")
    # All five arrived while the dead endpoint still held its first delivery.
    assert max(r["at"] for r in healthy) - published < TIMEOUT_SECONDS
    assert len(receiver.received("/hang")) == 1


def test_the_api_lists_pauses_replays_a_range_and_deletes(notify, receiver):
    webhook = register(notify, f"{receiver.url}/ok", ["request_created", "sla_met"]).json()
    url = f"{notify['url']}/integrations/v1/webhooks/{webhook['id']}"
    listed = requests.get(f"{notify['url']}/integrations/v1/webhooks", headers=ADMIN, timeout=10)
    assert [entry["id"] for entry in listed.json()] == [webhook["id"]]
    assert "secret" not in listed.json()[0]

    paused = requests.patch(url, headers=ADMIN, json={"status": "paused"}, timeout=10)
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    publish_envelope(notify["AMQP_URI"], request_created("w-paused"))
    wait_until(lambda: deliveries(notify, webhook["id"], "pending"),
               message="the paused webhook's event was not kept")
    assert receiver.received("/ok") == []
    requests.patch(url, headers=ADMIN, json={"status": "active"}, timeout=10)
    wait_until(lambda: len(receiver.received("/ok")) == 1, message="nothing came after resuming")

    replay = requests.post(f"{url}/redeliver", headers=ADMIN, json={
        "since": "2020-01-01T00:00:00Z"}, timeout=10)
    assert replay.status_code == 202 and replay.json() == {"queued": 1}
    wait_until(lambda: len(receiver.received("/ok")) == 2, message="the range was not delivered again")

    assert requests.delete(url, headers=ADMIN, timeout=10).status_code == 204
    assert requests.get(url, headers=ADMIN, timeout=10).status_code == 404


@pytest.mark.parametrize("body, status, says", [
    ({"url": "ftp://example.org/hook"}, 422, "http:// or https://"),
    ({"url": "http://127.0.0.1:5672/"}, 422, "broker's or a Loop311 service's own port"),
    ({"url": "http://localhost:15672/api/users"}, 422, "own port"),
    ({"url": "http://169.254.169.254/latest/meta-data"}, 422, "no webhook may use"),
    ({"url": "https://no-such-host.invalid/hook"}, 422, "cannot be resolved"),
    ({"event_types": ["resident_contact_recorded"]}, 422, "not a public event"),
    ({"event_types": ["request_teleported"]}, 422, "no event type"),
    ({"event_types": []}, 400, "at least one event type"),
    ({"secret": "mine"}, 400, "secret"),
])
def test_bad_registrations_are_refused_saying_why(notify, receiver, body, status, says):
    answer = requests.post(f"{notify['url']}/integrations/v1/webhooks", headers=ADMIN, json={
        "url": f"{receiver.url}/ok", "event_types": ["request_created"], **body}, timeout=20)

    assert answer.status_code == status, answer.text
    assert says in answer.text
    assert requests.get(f"{notify['url']}/integrations/v1/webhooks", headers=ADMIN,
                        timeout=10).json() == []


def test_only_administrators_manage_webhooks(notify, receiver):
    assert requests.post(f"{notify['url']}/integrations/v1/webhooks", json={
        "url": f"{receiver.url}/ok", "event_types": ["request_created"]},
        timeout=10).status_code == 401


def bound_types(rabbit_config, rabbit_manager) -> set[str]:
    """The public event types whose webhook queue is bound to its exchange."""
    return {event_type for event_type in PUBLIC_EVENT_TYPES
            if any(binding["source"] for binding in rabbit_manager.get_queue_bindings(
                rabbit_config["vhost"], queue_name("webhooks", event_type)))}


def test_a_webhook_queue_is_bound_only_while_some_webhook_wants_its_type(
        container_factory, service_config, rabbit_config, rabbit_manager, receiver):
    # What a release that bound every webhook queue left behind.
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        declare(connection, [consumer_queue("webhooks", "request_created")])
    config = service_config("notify", WEBHOOK_POLL_SECONDS=0.1)
    container_factory(NotifyService, config).start()
    notify = {**config, "url": f"http://{config['WEB_SERVER_ADDRESS']}"}
    wait_until(lambda: bound_types(rabbit_config, rabbit_manager) == set(),
               message="the binding no webhook wants was not removed at start")

    first = register(notify, f"{receiver.url}/ok", ["request_created", "sla_met"]).json()
    # Bound before the registration was answered, so no event after it is missed.
    assert bound_types(rabbit_config, rabbit_manager) == {"request_created", "sla_met"}
    second = register(notify, f"{receiver.url}/ok", ["sla_met"]).json()
    changed = requests.patch(f"{notify['url']}/integrations/v1/webhooks/{first['id']}",
                             headers=ADMIN, json={"event_types": ["request_assigned"]},
                             timeout=10)
    assert changed.status_code == 200, changed.text
    assert bound_types(rabbit_config, rabbit_manager) == {"request_assigned", "sla_met"}

    publish_envelope(notify["AMQP_URI"], request_created("w-unwanted"))
    assert requests.delete(f"{notify['url']}/integrations/v1/webhooks/{second['id']}",
                           headers=ADMIN, timeout=10).status_code == 204
    assert bound_types(rabbit_config, rabbit_manager) == {"request_assigned"}
    assert deliveries(notify, first["id"]) == []  # request_created went nowhere near it

    assert requests.delete(f"{notify['url']}/integrations/v1/webhooks/{first['id']}",
                           headers=ADMIN, timeout=10).status_code == 204
    assert bound_types(rabbit_config, rabbit_manager) == set()

