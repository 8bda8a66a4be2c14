"""Start a request's SLA clock when it is assigned; its due date comes from its policy."""
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from loop311_shared.envelope import Event
from loop311_shared.outbox import record_event

from .models import clocks, outbox, policies


def start_clock(session: Session, event: Event, default_hours: int) -> None:
    assignment = event.data
    request_id = assignment["request_id"]
    if session.execute(select(clocks.c.request_id).where(clocks.c.request_id == request_id)).first():
        return  # a reassignment keeps the clock the resident was promised
    hours = session.execute(
        select(policies.c.resolve_within_hours)
        .where(policies.c.service_code == assignment["service_code"])
    ).scalar_one_or_none() or default_hours
    started_at = assignment["assigned_at"]
    due_at = started_at + timedelta(hours=hours)
    session.execute(insert(clocks).values(
        request_id=request_id, service_code=assignment["service_code"],
        department_code=assignment["department_code"], started_at=started_at, due_at=due_at,
        status="running",
    ))
    record_event(session, outbox, "sla_started", request_id, {
        "request_id": request_id,
        "service_code": assignment["service_code"],
        "department_code": assignment["department_code"],
        "started_at": started_at,
        "due_at": due_at,
    })
