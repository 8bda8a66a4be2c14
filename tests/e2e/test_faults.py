"""Faults, with the real processes, broker and database: a service started while RabbitMQ
is down waits and becomes ready; a broker restart while requests flow stops no service and
loses no request; a PostgreSQL restart answers 503 (never 500) and service resumes. Each
with classic queues and with quorum queues (QUEUE_TYPE).

These stop and start the machine's own RabbitMQ application and PostgreSQL cluster, and
always start them again."""
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from devtools.localsuite import SERVICES, LocalSuite
from support import RAISED_LIMITS, free_port, wait_until

pytestmark = pytest.mark.e2e
REPORT = {"service_code": "pothole", "attribute[size]": "large", "description": "Deep pothole",
          "lat": "27.7705", "long": "-82.6383", "email": "resident@example.org",
          "api_key": "e2e-key"}
ENV = {**RAISED_LIMITS, "OUTBOX_POLL_SECONDS": "0.5", "MAIL_POLL_SECONDS": "0.5",
       "EVENT_RETRY_DELAYS_MS": "200,500,1000", "OPEN311_API_KEYS": "e2e-key",
       "QUIET_HOURS": "off", "SMS_RATE_PER_SECOND": "0"}


def rabbit(action: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", action], check=True, timeout=120,
                   stdout=subprocess.DEVNULL)
    if action == "start_app":
        subprocess.run(["rabbitmqctl", "-q", "await_startup"], check=True, timeout=120)


def queue_consumers(vhost: str) -> dict[str, int]:
    """Each queue's consumers, as the broker's channels list them (the management API and a
    quorum queue's own count lag by seconds)."""
    def listing(*command):
        return subprocess.run(["rabbitmqctl", "-q", *command, "-p", vhost, "--no-table-headers"],
                              check=True, timeout=60, capture_output=True, text=True).stdout
    counts = {line.split()[0]: 0 for line in listing("list_queues", "name").splitlines()}
    for line in listing("list_consumers", "queue_name").splitlines():
        counts[line.split()[0]] += 1
    return counts


def postgresql(action: str) -> None:
    version = next(Path("/etc/postgresql").iterdir()).name
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
                   check=True, timeout=120)


def status(url: str) -> int | None:
    try:
        return requests.get(url, timeout=3).status_code
    except requests.RequestException:
        return None


@pytest.fixture(params=["classic", "quorum"])
def suite(request, tmp_path, rabbit_config, new_database, smtp_sink):
    local = LocalSuite(tmp_path / "suite", rabbit_config["AMQP_URI"],
                       database_urls={name: new_database(name) for name in SERVICES},
                       ports={name: free_port() for name in SERVICES},
                       smtp_port=smtp_sink.port, extra_env={**ENV, "QUEUE_TYPE": request.param})
    local.mailbox = smtp_sink
    yield local
    local.stop_all()


def test_a_service_started_while_the_broker_is_down_waits_and_becomes_ready(suite,
                                                                         rabbit_config):
    rabbit("stop_app")
    try:
        suite.start("routing")
        suite.start("sla")
        live = suite.url("routing", "/health/live")
        wait_until(lambda: status(live) == 200, timeout=60, message="routing never went live")
        assert status(suite.url("routing", "/health/ready")) == 503
        # An operator stopping a service that still waits for the broker: it exits at once.
        wait_until(lambda: status(suite.url("sla", "/health/live")) == 200, timeout=60,
                   message="sla never went live")
        suite.processes["sla"].send_signal(signal.SIGTERM)
        assert suite.processes["sla"].wait(timeout=15) is not None
    finally:
        rabbit("start_app")
    wait_until(lambda: status(suite.url("routing", "/health/ready")) == 200, timeout=90,
               message="routing never became ready after the broker came back")
    # Ready means consuming: kombu's backoff brings consumers back up to 30 s after the
    # broker answers a new connection, and a probe must not route traffic before that.
    idle = [name for name, consumers in queue_consumers(rabbit_config["vhost"]).items()
            if name.startswith("loop311.routing.") and ".retry." not in name
            and not name.endswith(".dead") and consumers == 0]
    assert idle == []
    assert suite.processes["routing"].poll() is None
    assert "unreachable" in suite.log("routing")


def post(suite, answers: list) -> None:
    try:
        answer = requests.post(suite.url("intake", "/open311/v2/requests.json"), data=REPORT,
                               timeout=10)
        answers.append((answer.status_code, answer.json()))
    except requests.RequestException as error:
        answers.append((None, repr(error)))


@contextmanager
def requests_flowing(suite, first: int):
    """POSTs to intake one after another until the block ends; yields their answers,
    (status, body) each, once `first` have come back."""
    answers, stop = [], threading.Event()

    def run():
        while not stop.is_set():
            post(suite, answers)
            time.sleep(0.1)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    wait_until(lambda: len(answers) >= first, timeout=30, message="no requests went in")
    try:
        yield answers
    finally:
        stop.set()
        thread.join(timeout=30)


def outage(down, up, seconds: float = 3) -> None:
    """`down`, requests keep arriving for `seconds`, then `up` (always)."""
    down()
    try:
        time.sleep(seconds)
    finally:
        up()


def test_a_broker_restart_while_requests_flow_stops_no_service_and_loses_no_request(suite):
    suite.start_all()
    with requests_flowing(suite, first=10) as answers:
        outage(lambda: rabbit("stop_app"), lambda: rabbit("start_app"))
        wait_until(lambda: len(answers) >= 40, timeout=60, message="requests stopped flowing")

    accepted = [body[0]["service_request_id"] for code, body in answers if code == 201]
    assert [code for code, _ in answers if code != 201] == []  # intake needs only its database
    for service in SERVICES:
        assert suite.processes[service].poll() is None, f"{service} exited: {suite.log(service)}"

    def every_request_went_through():
        for request_id in accepted:
            shown = requests.get(suite.url("intake", f"/open311/v2/requests/{request_id}.json"),
                                 timeout=10).json()[0]
            if not (shown["agency_responsible"] and shown["expected_datetime"]
                    and suite.mailbox.for_request(request_id)):
                return False
        return True
    wait_until(every_request_went_through, timeout=180, interval=1,
               message="not every request was assigned, clocked and confirmed")


def test_a_database_restart_answers_503_never_500_and_service_resumes(suite):
    suite.start_all()
    with requests_flowing(suite, first=5) as answers:
        outage(lambda: postgresql("stop"), lambda: postgresql("start"))
        restarted, before = time.monotonic(), len(answers)
        wait_until(lambda: len(answers) > before and answers[-1][0] == 201, timeout=30,
                   message="intake did not serve again within 30 s of the restart")
        served_after = time.monotonic() - restarted

    codes = [code for code, _ in answers]
    assert 500 not in codes and None not in codes
    assert 503 in codes, "the restart came and went between two requests: nothing was tested"
    refusal = next(body for code, body in answers if code == 503)
    assert refusal[0]["code"] == 503 and "temporarily unavailable" in refusal[0]["description"]
    assert served_after < 30
    for service in SERVICES:
        assert suite.processes[service].poll() is None, f"{service} exited: {suite.log(service)}"
