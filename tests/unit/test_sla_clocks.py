"""sla's clocks, on SQLite, with the demo policies imported."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import loop311_sla
from loop311_contracts.envelope import make_envelope, read_envelope
from loop311_shared.unit_of_work import run
from loop311_sla import handlers
from loop311_sla.commands import ImportPolicies
from loop311_sla.models import clocks, outbox
from loop311_sla.unit_of_work import SlaUnitOfWork
from support import demo_document

ASSIGNED_AT = datetime(2026, 11, 24, 9, tzinfo=timezone.utc)


def assigned(request_id, service_code, department="PWDx"):
    return read_envelope(make_envelope("request_assigned", request_id, {
        "request_id": request_id, "service_code": service_code, "jurisdiction_id": "city",
        "department_code": department, "department_name": department,
        "jurisdiction_name": "City", "agency_responsible": f"City — {department}",
        "assigned_at": ASSIGNED_AT}))


@pytest.fixture
def uow(migrated_session):
    with migrated_session(loop311_sla) as session:
        uow = SlaUnitOfWork(session, "sla")
        run(uow, handlers.import_policies, ImportPolicies(demo_document("policies"), "tests"))
        yield uow


def start_clock(uow, event):
    handlers.handle_request_assigned(uow, event, default_hours=120)


def due_at(uow, request_id):
    value = uow.session.execute(select(clocks.c.due_at)
                                .where(clocks.c.request_id == request_id)).scalar_one()
    return value.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("service_code, hours", [("pothole", 24), ("needle_pickup", 4),
                                                 ("unheard_of", 120)])
def test_the_due_date_comes_from_the_category_policy(uow, service_code, hours):
    start_clock(uow, assigned("1", service_code))

    assert due_at(uow, "1") == ASSIGNED_AT + timedelta(hours=hours)
    [event] = uow.session.execute(select(outbox.c.envelope)).scalars().all()
    assert event["type"] == "sla_started"
    assert event["data"]["due_at"] == (ASSIGNED_AT + timedelta(hours=hours)).isoformat()


def test_a_reassignment_keeps_the_promised_due_date(uow):
    start_clock(uow, assigned("1", "pothole"))
    start_clock(uow, assigned("1", "pothole", department="BTDT"))

    assert due_at(uow, "1") == ASSIGNED_AT + timedelta(hours=24)
    assert len(uow.session.execute(select(outbox.c.id)).all()) == 1
