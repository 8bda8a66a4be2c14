"""sla on the real broker and PostgreSQL: targets from the imported policies, and timers
that two replicas share so that every reminder, breach and escalation goes out once."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import loop311_sla
from loop311_contracts.envelope import make_envelope
from loop311_shared.db import make_engine, migrate
from loop311_shared.unit_of_work import run
from loop311_sla import handlers
from loop311_sla.commands import FireTimers
from loop311_sla.models import outbox, timers
from loop311_sla.repository import SlaRepository
from loop311_sla.service import SlaService
from loop311_sla.unit_of_work import SlaUnitOfWork
from support import (
    TEST_ADMIN_TOKEN,
    EventTap,
    demo_document,
    free_port,
    import_configuration,
    publish_envelope,
    request_created,
    wait_until,
)

ADMIN = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}
STAFF = {"Authorization": "Bearer crew-token"}


def assigned(request_id, at):
    return make_envelope("request_assigned", request_id, {
        "request_id": request_id, "service_code": "needle_pickup",
        "jurisdiction_id": "st-petersburg", "jurisdiction_name": "City of St. Petersburg",
        "department_code": "pc-health", "department_name": "Human Services",
        "agency_responsible": "Pinellas County — Human Services", "assignee_id": "pc-health-2",
        "assignee_name": "Field crew", "rule_id": "pc-health-all", "assigned_at": at})


@pytest.fixture
def sla(container_factory, service_config):
    config = service_config("sla", TIMER_POLL_SECONDS=0.2, STAFF_API_TOKENS="alice:crew-token")
    container_factory(SlaService, config).start()
    import_configuration(config, "policies")
    config["base"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    return config


def test_two_replicas_send_each_reminder_breach_and_escalation_once(container_factory, sla):
    container_factory(SlaService, {**sla, "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}"}).start()
    taps = {kind: EventTap(sla["AMQP_URI"], kind)
            for kind in ("sla_reminder_due", "sla_breached", "sla_escalated")}
    # Assigned five hours ago: a needle's acknowledge (1 h) and resolve (4 h) targets have
    # passed and its first reminder (every 4 h) is due, for both replicas to find at once.
    five_hours_ago = datetime.now(timezone.utc) - timedelta(hours=5)
    count = 12
    for n in range(count):
        publish_envelope(sla["AMQP_URI"], request_created(str(n), "needle_pickup"))
    engine = make_engine(sla["DATABASE_URL"])

    def scalar(query):
        with engine.connect() as connection:
            return connection.execute(query).scalar_one()

    for n in range(count):
        publish_envelope(sla["AMQP_URI"], assigned(str(n), five_hours_ago))

    def settled():
        now = datetime.now(timezone.utc)
        due = scalar(select(func.count()).select_from(timers).where(timers.c.due_at <= now))
        pending = scalar(select(func.count()).select_from(outbox).where(
            outbox.c.published_at.is_(None)))
        started = scalar(select(func.count()).select_from(timers).where(
            timers.c.kind == "ack_reminder"))
        return started == count and due == 0 and pending == 0

    wait_until(settled, timeout=60, message="the timers never settled")
    engine.dispose()
    seen = {kind: tap.drain() for kind, tap in taps.items()}
    assert sorted(int(e["subject"]) for e in seen["sla_reminder_due"]) == list(range(count))
    assert len(seen["sla_breached"]) == 2 * count  # acknowledge and resolve
    assert sorted((e["subject"], e["data"]["level"]) for e in seen["sla_escalated"]) == sorted(
        (str(n), level) for n in range(count) for level in (1, 2))


def test_pausing_needs_staff_and_a_closed_request_cannot_be_paused(sla):
    url = f"{sla['base']}/staff/v1/requests/404/pause"
    assert requests.post(url, json={"reason": "r"}, timeout=5).status_code == 401
    missing = requests.post(url, json={"reason": "r"}, headers=STAFF, timeout=5)
    assert missing.status_code == 404 and "no running clock" in missing.text
    assert requests.post(url, json={}, headers=STAFF, timeout=5).status_code == 400


def test_the_policies_import_needs_the_admin_token_and_is_read_back(sla):
    url = f"{sla['base']}/admin/v1/policies"
    assert requests.put(url, json=demo_document("policies"), timeout=10).status_code == 401
    assert requests.get(url, timeout=10).status_code == 401
    current = requests.get(url, headers=ADMIN, timeout=10).json()
    assert current["version"] == 1
    assert [p["id"] for p in current["document"]["policies"]] == [
        p["id"] for p in demo_document("policies")["policies"]]
    bad = demo_document("policies")
    bad["calendars"][0]["working_hours"] = {}
    refused = requests.put(url, json=bad, headers=ADMIN, timeout=10)
    assert refused.status_code == 400 and "no working hours" in refused.text


def test_the_report_card_over_http_counts_what_the_events_said(sla):
    started = datetime.now(timezone.utc) - timedelta(minutes=1)
    for n, channel_request in enumerate(["a", "b"]):
        publish_envelope(sla["AMQP_URI"], request_created(channel_request, "pothole",
                                                          lat=27.77 + n * 0.01))
        publish_envelope(sla["AMQP_URI"], assigned(channel_request, datetime.now(timezone.utc)))
    engine = make_engine(sla["DATABASE_URL"])

    def started_clocks():
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(timers)).scalar_one()
    wait_until(lambda: started_clocks() >= 2, message="clocks never started")
    engine.dispose()
    period = {"start": started.isoformat(),
              "end": (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()}
    url = f"{sla['base']}/staff/v1/report-card"

    assert requests.get(url, params=period, timeout=10).status_code == 401
    rows = requests.get(url, params={**period, "by": "channel"}, headers=STAFF, timeout=10).json()
    assert [(row["group"], row["opened"], row["closed"]) for row in rows] == [("web", 2, 0)]
    csv = requests.get(url, params={**period, "format": "csv"}, headers=STAFF, timeout=10)
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("group,")
    geo = requests.get(f"{url}/export", params={**period, "format": "geojson"}, headers=STAFF,
                       timeout=10).json()
    assert len(geo["features"]) == 2
    backwards = requests.get(url, params={"start": period["end"], "end": period["start"]},
                             headers=STAFF, timeout=10)
    assert backwards.status_code == 400 and "end must be after start" in backwards.text


def test_a_replica_that_dies_mid_scan_loses_no_timer(new_database):
    """Replica A claims the due timers and dies before committing (its transaction rolls
    back, as PostgreSQL does for a killed connection); replica B skips them while A holds
    them, then fires every one once A is gone."""
    engine = make_engine(new_database("sla"))
    migrate(engine, Path(loop311_sla.__file__).parent / "migrations")
    now = datetime.now(timezone.utc)
    with Session(engine) as setup:
        for n in range(5):  # timers of requests sla never saw: firing them only deletes them
            SlaRepository(setup).set_timer(str(n), "ack_reminder", now - timedelta(minutes=n))
        setup.commit()

    dying, survivor = Session(engine), Session(engine)
    claimed = SlaRepository(dying).claim_due_timers(now)
    assert len(claimed) == 5
    assert run(SlaUnitOfWork(survivor, "sla"), handlers.fire_timers, FireTimers(now)) == 0
    dying.rollback()  # the replica is gone; its claims with it
    dying.close()

    assert run(SlaUnitOfWork(survivor, "sla"), handlers.fire_timers, FireTimers(now)) == 5
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(timers)).scalar_one() == 0
    survivor.close()
    engine.dispose()


def test_metrics_show_the_backlog_and_the_on_time_share_by_department(container_factory,
                                                                     service_config):
    sla = service_config("sla", TIMER_POLL_SECONDS=0.2, REPORT_CARD_GAUGE_SECONDS=0.2)
    container_factory(SlaService, sla).start()
    import_configuration(sla, "policies")
    sla["base"] = f"http://{sla['WEB_SERVER_ADDRESS']}"
    publish_envelope(sla["AMQP_URI"], request_created("m1", "needle_pickup"))
    publish_envelope(sla["AMQP_URI"], assigned("m1", datetime.now(timezone.utc) - timedelta(hours=5)))

    def exposition():
        body = requests.get(f"{sla['base']}/metrics", timeout=5).text
        return body if 'loop311_sla_on_time_ratio{department="pc-health",target="ack"}' in body \
            and 'loop311_sla_overdue_requests{department="pc-health"} 1.0' in body else None

    body = wait_until(exposition, message="the backlog gauges never showed")
    assert 'loop311_sla_open_requests{department="pc-health"} 1.0' in body
    assert 'loop311_sla_on_time_ratio{department="pc-health",target="ack"} 0.0' in body
    assert "request_id" not in body  # bounded labels: never a request id
