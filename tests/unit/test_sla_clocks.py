"""sla's clocks, on SQLite."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import loop311_sla
from loop311_shared.envelope import make_envelope, read_envelope
from loop311_sla.clocks import start_clock
from loop311_sla.models import clocks, outbox

ASSIGNED_AT = datetime(2026, 11, 24, 9, tzinfo=timezone.utc)


def assigned(request_id, service_code, department="PWDx"):
    return read_envelope(make_envelope("request_assigned", request_id, {
        "request_id": request_id, "service_code": service_code, "jurisdiction_id": "city",
        "department_code": department, "department_name": department,
        "assigned_at": ASSIGNED_AT}))


@pytest.fixture
def session(migrated_session):
    with migrated_session(loop311_sla) as session:
        yield session


def due_at(session, request_id):
    value = session.execute(select(clocks.c.due_at).where(clocks.c.request_id == request_id)).scalar_one()
    return value.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("service_code, hours", [("pothole", 24), ("needle_pickup", 4),
                                                 ("unheard_of", 120)])
def test_the_due_date_comes_from_the_category_policy(session, service_code, hours):
    start_clock(session, assigned("1", service_code), default_hours=120)

    assert due_at(session, "1") == ASSIGNED_AT + timedelta(hours=hours)
    [event] = session.execute(select(outbox.c.envelope)).scalars().all()
    assert event["type"] == "sla_started"
    assert event["data"]["due_at"] == (ASSIGNED_AT + timedelta(hours=hours)).isoformat()


def test_a_reassignment_keeps_the_promised_due_date(session):
    start_clock(session, assigned("1", "pothole"), default_hours=120)
    start_clock(session, assigned("1", "pothole", department="BTDT"), default_hours=120)

    assert due_at(session, "1") == ASSIGNED_AT + timedelta(hours=24)
    assert len(session.execute(select(outbox.c.id)).all()) == 1
