"""Webhook benchmark: a notify process (`nameko run`) takes request_created events from
the broker and POSTs them, signed, to receivers in this process.

1. Throughput: `--endpoints` healthy endpoints each subscribed, `--events` events; prints
   deliveries per second from the first publish to the last delivery.
2. Isolation: steady traffic (`--latency-rate` events a second) to one healthy endpoint
   alone, then beside one that never answers within notify's timeout; prints the healthy
   endpoint's delivery latency (publish to arrival) both times and the delay the dead
   endpoint added.

Every delivery's signature is checked with the standardwebhooks library. Builds its own
vhost, database and processes and removes them. Usage:

    python bench/webhooks.py [--events 1000] [--endpoints 4] [--latency-events 200]
"""
import argparse
import secrets
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from harness import (  # noqa: E402
    Scratch,
    exit_on_sigterm,
    free_port,
    healthy,
    percentile,
    wait_until,
)
from kombu import Connection  # noqa: E402
from standardwebhooks.webhooks import Webhook  # noqa: E402

from devtools.webhook_receiver import WebhookReceiver  # noqa: E402
from loop311_contracts.envelope import make_envelope  # noqa: E402
from loop311_shared.topology import event_exchange  # noqa: E402

ADMIN_TOKEN = "bench-admin-token"
TIMEOUT_SECONDS = 2


class Receivers:
    """The endpoints, by path: /hang answers after notify has given up, the rest at once.
    Signatures are checked with each endpoint's secret once the run is over."""

    def __init__(self):
        self.endpoint = WebhookReceiver(self.answer)
        self.url = self.endpoint.url
        self.secrets: dict[str, str] = {}

    @staticmethod
    def answer(request, tries) -> int:
        if request["path"] == "/hang":
            time.sleep(TIMEOUT_SECONDS * 2)
        return 204

    def arrivals(self, path) -> dict[str, float]:
        """When each event id first reached `path`."""
        first: dict[str, float] = {}
        for request in self.endpoint.received(path):
            first.setdefault(request["headers"]["webhook-id"], request["at"])
        return first

    def count(self, path) -> int:
        return len(self.arrivals(path))

    def bad_signatures(self) -> int:
        bad = 0
        for request in self.endpoint.received():
            try:
                Webhook(self.secrets[request["path"]]).verify(request["body"], request["headers"])
            except Exception:
                bad += 1
        return bad


def publish(amqp_uri: str, count: int, label: str, rate: float = 0) -> dict[str, float]:
    """Publish `count` request_created events (`rate` a second; 0: at once); their ids and
    when each left."""
    published = {}
    exchange = event_exchange("intake.events")
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        for number in range(count):
            envelope = make_envelope("request_created", f"{label}-{number}", {
                "request_id": f"{label}-{number}", "service_code": "pothole",
                "service_name": "Pothole Repair", "description": "bench", "lat": None,
                "long": None, "address": None, "channel": "web", "priority": "normal",
                "contact_ref": None, "requested_at": datetime.now(timezone.utc)})
            published[envelope["id"]] = time.monotonic()
            producer.publish(envelope, exchange=exchange, routing_key="request_created",
                             declare=[exchange], serializer="json", retry=True)
            if rate:
                time.sleep(1 / rate)
    return published


def register(notify_url: str, receivers: Receivers, path: str) -> str:
    answer = requests.post(f"{notify_url}/integrations/v1/webhooks", timeout=30, headers={
        "Authorization": f"Bearer {ADMIN_TOKEN}"}, json={
        "url": receivers.url + path, "event_types": ["request_created"], "description": path})
    answer.raise_for_status()
    receivers.secrets[path] = answer.json()["secret"]
    return answer.json()["id"]


def latencies_ms(receivers: Receivers, path: str, published: dict[str, float]) -> list[float]:
    arrived = receivers.arrivals(path)
    return [(arrived[event_id] - at) * 1000 for event_id, at in published.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=4)
    parser.add_argument("--latency-events", type=int, default=200)
    parser.add_argument("--latency-rate", type=float, default=20,
                        help="events a second while latency is measured (steady traffic)")
    args = parser.parse_args()
    exit_on_sigterm()
    work = Path(tempfile.mkdtemp(prefix="loop311-webhooks-"))
    receivers = Receivers()
    with Scratch(f"loop311_bench_webhooks_{secrets.token_hex(3)}") as scratch:
        notify_url = f"http://127.0.0.1:{free_port()}"
        env = {"AMQP_URI": scratch.amqp_uri, "DATABASE_URL": scratch.database("notify"),
               "WEB_SERVER_ADDRESS": notify_url.removeprefix("http://"),
               "ADMIN_API_TOKENS": f"bench:{ADMIN_TOKEN}", "QUIET_HOURS": "off",
               "WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS), "LOG_LEVEL": "WARNING",
               "PATH": str(Path(sys.executable).parent)}
        scratch.spawn("notify", [str(Path(sys.executable).parent / "nameko"), "run", "--config",
                                 str(ROOT / "services/notify/config.yml"),
                                 "loop311_notify.service:NotifyService"], env=env, cwd=work,
                      stdout=open(work / "notify.log", "ab"), stderr=subprocess.STDOUT)
        wait_until(lambda: healthy(notify_url), 120, what="notify")

        paths = [f"/ok-{n}" for n in range(args.endpoints)]
        for path in paths:
            register(notify_url, receivers, path)
        began = time.monotonic()
        publish(scratch.amqp_uri, args.events, "throughput")
        wait_until(lambda: all(receivers.count(p) == args.events for p in paths), 600,
                   what="every delivery")
        seconds = max(max(receivers.arrivals(p).values()) for p in paths) - began
        deliveries = args.events * args.endpoints
        print(f"  {args.events} events x {args.endpoints} endpoints = {deliveries} deliveries "
              f"in {seconds:.1f} s, 1 notify process")

        register(notify_url, receivers, "/alone")
        alone = publish(scratch.amqp_uri, args.latency_events, "alone", args.latency_rate)
        wait_until(lambda: receivers.count("/alone") == args.latency_events, 300, what="/alone")
        register(notify_url, receivers, "/hang")
        beside = publish(scratch.amqp_uri, args.latency_events, "beside", args.latency_rate)
        wait_until(lambda: receivers.count("/alone") == 2 * args.latency_events, 300,
                   what="/alone beside /hang")
        before = latencies_ms(receivers, "/alone", alone)
        after = latencies_ms(receivers, "/alone", beside)
        print(f"  {args.latency_events} events at {args.latency_rate:g}/s; healthy endpoint "
              f"alone: p50 {percentile(before, 50):.0f} ms, p99 "
              f"{percentile(before, 99):.0f} ms; beside one timing out after "
              f"{TIMEOUT_SECONDS} s: p50 {percentile(after, 50):.0f} ms, p99 "
              f"{percentile(after, 99):.0f} ms")
        print(f"webhook_deliveries_per_second={deliveries / seconds:.1f}")
        print(f"webhook_healthy_p99_added_ms={percentile(after, 99) - percentile(before, 99):.0f}")
        print(f"webhook_bad_signatures={receivers.bad_signatures()}")


if __name__ == "__main__":
    main()
