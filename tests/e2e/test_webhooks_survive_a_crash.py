"""Webhooks go on after notify is killed mid-delivery: once it is back, every event
reaches the endpoint (a delivery in flight at the kill may come twice, with its
webhook-id, which the receiver deduplicates on)."""
import time

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from devtools.localsuite import SUITE_ADMIN_TOKEN, LocalSuite
from devtools.webhook_receiver import WebhookReceiver
from support import free_port, publish_envelope, request_created, wait_until

pytestmark = pytest.mark.e2e
EVENTS = 120


@pytest.fixture
def notify(tmp_path, rabbit_config, new_database):
    local = LocalSuite(tmp_path / "suite", rabbit_config["AMQP_URI"],
                       database_urls={"notify": new_database("notify")},
                       ports={"notify": free_port()}, smtp_port=free_port(),
                       extra_env={"QUIET_HOURS": "off", "WEBHOOK_TIMEOUT_SECONDS": "1",
                                  "WEBHOOK_POLL_SECONDS": "0.2"})
    local.start("notify")
    local.wait_healthy("notify")
    yield local
    local.stop_all()


def test_every_event_reaches_the_endpoint_after_notify_is_killed_mid_delivery(notify):
    receiver = WebhookReceiver(lambda request, tries: time.sleep(0.05) or 204)
    made = requests.post(f"{notify.url('notify', '')}/integrations/v1/webhooks", json={
        "url": f"{receiver.url}/hook", "event_types": ["request_created"]}, timeout=10,
        headers={"Authorization": f"Bearer {SUITE_ADMIN_TOKEN}"})
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]

    def delivered() -> list[str]:
        return [Webhook(secret).verify(r["body"], r["headers"])["id"]
                for r in receiver.received()]
    published = []
    for number in range(EVENTS):
        envelope = request_created(f"crash-{number}")
        publish_envelope(notify.amqp_uri, envelope)
        published.append(envelope["id"])

    wait_until(lambda: len(delivered()) >= 20, timeout=60, interval=0.02,
               message="deliveries never started")
    notify.kill("notify")  # SIGKILL, mid-delivery
    at_kill = len(delivered())
    notify.start("notify")
    notify.wait_healthy("notify")
    wait_until(lambda: set(delivered()) >= set(published), timeout=90,
               message="not every event was delivered after the restart")

    received = delivered()
    receiver.close()
    print(f"\nSIGKILL notify after {at_kill} of {EVENTS} deliveries: {len(received)} received, "
          f"{len(received) - len(set(received))} twice (same webhook-id)")
    assert at_kill < EVENTS, "the kill came after the last delivery: nothing was tested"
    assert set(received) == set(published)
    assert len(received) - len(set(received)) <= 1  # only the one in flight, again
