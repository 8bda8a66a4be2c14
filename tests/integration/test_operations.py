"""What operators watch: liveness and readiness, and the metrics the alerts are built on."""
import eventlet
import requests
from kombu import Connection

from loop311_shared.topology import consumer_queue, declare
from support import wait_until


def test_probes_and_the_metrics_behind_the_alerts(start_intake, service_config):
    config = service_config("intake")
    start_intake(config)
    base = f"http://{config['WEB_SERVER_ADDRESS']}"

    assert requests.get(f"{base}/health/live", timeout=5).json() == {"status": "live"}
    assert requests.get(f"{base}/health/ready", timeout=5).json() == {
        "status": "ready", "database": "ok", "broker": "ok", "consumers": "ok"}

    def exposed():
        body = requests.get(f"{base}/metrics", timeout=5).text
        wanted = ('loop311_ready{service="intake"} 1.0',
                  'loop311_outbox_oldest_unpublished_seconds{service="intake"}',
                  'loop311_background_last_success_timestamp_seconds{loop="OutboxRelay",'
                  'service="intake"}')
        return all(line in body for line in wanted)
    wait_until(exposed, timeout=20, message="the alerting metrics were not exposed")


def test_not_ready_while_its_consumers_cannot_consume(container_factory, service_config,
                                                      rabbit_config, caplog):
    """The broker answers but intake cannot consume: it was set to quorum queues while one
    of its queues is still classic (QUEUE_TYPE changed without `queues migrate`). Readiness
    says so until the queue is put right, and then intake consumes without a restart."""
    from loop311_intake.service import IntakeService
    conflicting = consumer_queue("intake", "request_reassigned", "classic")
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        declare(connection, [conflicting])
    config = service_config("intake", QUEUE_TYPE="quorum")
    container = container_factory(IntakeService, config)
    eventlet.spawn(container.start)  # its start waits for the consumers
    ready = f"http://{config['WEB_SERVER_ADDRESS']}/health/ready"

    def answer():
        try:
            return requests.get(ready, timeout=5).json()
        except requests.RequestException:
            return {}
    wait_until(lambda: answer().get("database") == "ok", timeout=30,
               message="intake never answered with its database migrated")
    assert answer() == {"status": "not ready", "database": "ok", "broker": "ok",
                        "consumers": "waiting"}
    assert ("queue loop311.intake.request_reassigned exists with other arguments"
            in caplog.text)
    assert "loop311-admin queues migrate --to quorum" in caplog.text

    with Connection(rabbit_config["AMQP_URI"]) as connection:
        conflicting(connection.default_channel).delete()
    wait_until(lambda: answer().get("status") == "ready", timeout=30,
               message="intake never consumed once its queue was put right")
    assert answer()["consumers"] == "ok"
