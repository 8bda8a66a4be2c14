"""What operators watch: liveness and readiness, and the metrics the alerts are built on."""
import requests

from support import wait_until


def test_probes_and_the_metrics_behind_the_alerts(start_intake, service_config):
    config = service_config("intake")
    start_intake(config)
    base = f"http://{config['WEB_SERVER_ADDRESS']}"

    assert requests.get(f"{base}/health/live", timeout=5).json() == {"status": "live"}
    assert requests.get(f"{base}/health/ready", timeout=5).json() == {
        "status": "ready", "database": "ok", "broker": "ok"}

    def exposed():
        body = requests.get(f"{base}/metrics", timeout=5).text
        wanted = ('loop311_ready{service="intake"} 1.0',
                  'loop311_outbox_oldest_unpublished_seconds{service="intake"}',
                  'loop311_background_last_success_timestamp_seconds{loop="OutboxRelay",'
                  'service="intake"}')
        return all(line in body for line in wanted)
    wait_until(exposed, timeout=20, message="the alerting metrics were not exposed")
