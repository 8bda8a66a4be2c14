"""A broadcast goes on after notify is killed mid-sending: every subscriber gets it, and
none twice (at most the one message in flight again, under the same Message-ID)."""
import pytest
import requests
from sqlalchemy import select

from devtools.localsuite import SERVICES, SUITE_ADMIN_TOKEN, LocalSuite
from loop311_notify.models import subscriptions
from support import RAISED_LIMITS, free_port, rows, wait_until

pytestmark = pytest.mark.e2e
ADMIN = {"Authorization": f"Bearer {SUITE_ADMIN_TOKEN}"}
SUBSCRIBERS = 300


@pytest.fixture
def suite(tmp_path, rabbit_config, new_database, smtp_sink):
    local = LocalSuite(
        tmp_path / "suite", rabbit_config["AMQP_URI"],
        database_urls={name: new_database(name) for name in SERVICES},
        ports={name: free_port() for name in SERVICES}, smtp_port=smtp_sink.port,
        extra_env={**RAISED_LIMITS, "OUTBOX_POLL_SECONDS": "0.5", "MAIL_POLL_SECONDS": "0.5",
                   "EVENT_RETRY_DELAYS_MS": "200,500", "OPEN311_API_KEYS": "e2e-key",
                   "QUIET_HOURS": "off", "SMS_RATE_PER_SECOND": "0",
                   # Slow enough that the kill lands mid-broadcast.
                   "EMAIL_RATE_PER_SECOND": "60"})
    local.mailbox = smtp_sink
    local.start_all()
    yield local
    local.stop_all()


def test_a_broadcast_resumes_after_notify_is_killed_and_nobody_gets_it_twice(suite):
    notify = suite.url("notify", "")
    for number in range(SUBSCRIBERS):
        answer = requests.post(f"{notify}/notify/v1/subscriptions", json={
            "kind": "topic", "channel": "email", "email": f"resident{number}@example.org",
            "topic": "storm", "language": "es" if number % 4 == 0 else "en"}, timeout=10)
        assert answer.status_code == 201, answer.text
    tokens = rows(suite.database_urls["notify"], select(subscriptions.c.id, subscriptions.c.token))
    for subscription_id, token in tokens:
        assert requests.get(f"{notify}/notify/v1/subscriptions/{subscription_id}/confirm",
                            params={"token": token}, timeout=10).status_code == 200
    wait_until(lambda: len(suite.mailbox.messages()) == SUBSCRIBERS, timeout=60,
               message="the confirmations never all went")

    started = requests.post(f"{notify}/admin/v1/broadcasts", headers=ADMIN, json={
        "topic": "storm", "title": {"en": "Storm update", "es": "Aviso de tormenta"},
        "message": {"en": "Sandbags at every recreation center from noon.",
                    "es": "Sacos de arena en cada centro recreativo desde el mediodía."}},
        timeout=10)
    assert started.status_code == 201, started.text

    def broadcast_mail():
        return [m for m in suite.mailbox.messages()
                if m["Subject"] in ("Storm update", "Aviso de tormenta")]
    wait_until(lambda: len(broadcast_mail()) >= 40, timeout=60, interval=0.02,
               message="the broadcast never started")
    suite.kill("notify")  # SIGKILL, mid-broadcast
    at_kill = len(broadcast_mail())
    suite.start("notify")
    suite.wait_healthy("notify")
    report = wait_until(lambda: (lambda r: r if r["status"] == "done" else None)(requests.get(
        f"{notify}/admin/v1/broadcasts/{started.json()['id']}", headers=ADMIN, timeout=10).json()),
        timeout=120, message="the broadcast never finished after the restart")

    received = broadcast_mail()
    addresses = [m["To"] for m in received]
    again = len(addresses) - len(set(addresses))
    print(f"\nSIGKILL notify after {at_kill} of {SUBSCRIBERS} broadcast emails: "
          f"{len(received)} received, {again} twice (same Message-ID)")
    assert at_kill < SUBSCRIBERS, "the kill came after the last message: nothing was tested"
    assert set(addresses) == {f"resident{n}@example.org" for n in range(SUBSCRIBERS)}
    assert len({(m["To"], m["Message-ID"]) for m in received}) == SUBSCRIBERS
    assert again <= 1
    assert report["recipients"] == SUBSCRIBERS and report["totals"] == {"sent": SUBSCRIBERS}
    spanish = [m for m in received if m["Subject"] == "Aviso de tormenta"]
    assert len({m["To"] for m in spanish}) == SUBSCRIBERS // 4
