"""The integrators' quickstart (docs/integrators/quickstart.py) is run as it is, against
the real broker: it binds its own queue and receives a request_created CloudEvent."""
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import eventlet

from loop311_contracts.envelope import make_envelope
from support import publish_envelope

QUICKSTART = Path(__file__).resolve().parents[2] / "docs" / "integrators" / "quickstart.py"


def test_the_quickstart_consumer_receives_a_request_created_cloudevent(rabbit_config):
    amqp_url = rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)
    queue = f"integrator.quickstart.{uuid.uuid4().hex[:8]}"
    consumer = subprocess.Popen(
        [sys.executable, str(QUICKSTART), "1"], text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={"LOOP311_AMQP_URL": amqp_url, "LOOP311_QUEUE": queue, "PATH": ""})
    try:
        with eventlet.Timeout(20):
            assert consumer.stdout.readline().startswith(f"waiting for events on {queue}")
        publish_envelope(rabbit_config["AMQP_URI"], make_envelope("request_created", "77", {
            "request_id": "77", "service_code": "pothole", "service_name": "Pothole Repair",
            "description": "Deep pothole", "lat": 27.7705, "long": -82.6383, "address": None,
            "channel": "web", "priority": "normal", "contact_ref": None,
            "requested_at": datetime.now(timezone.utc)}))
        with eventlet.Timeout(20):
            printed = consumer.stdout.read()
        assert consumer.wait(timeout=10) == 0, printed
    finally:
        consumer.kill()
    assert " request_created v2 request 77: " in printed
    assert '"service_code": "pothole"' in printed
