"""Assign a new request to the department that handles its category in its jurisdiction."""
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow
from loop311_shared.envelope import Event
from loop311_shared.outbox import record_event

from .models import assignments, category_routes, departments, outbox


def assign_request(session: Session, event: Event, jurisdiction_id: str) -> None:
    request = event.data
    department = session.execute(
        select(departments.c.code, departments.c.name)
        .join(category_routes, category_routes.c.department_code == departments.c.code)
        .where(category_routes.c.jurisdiction_id == jurisdiction_id,
               category_routes.c.service_code == request["service_code"])
    ).first()
    if department is None:
        record_event(session, outbox, "request_needs_triage", request["request_id"], {
            "request_id": request["request_id"],
            "service_code": request["service_code"],
            "jurisdiction_id": jurisdiction_id,
            "reason": "no department handles this service code",
        })
        return
    assigned_at = utcnow()
    session.execute(insert(assignments).values(
        request_id=request["request_id"], service_code=request["service_code"],
        jurisdiction_id=jurisdiction_id, department_code=department.code, assigned_at=assigned_at,
    ))
    record_event(session, outbox, "request_assigned", request["request_id"], {
        "request_id": request["request_id"],
        "service_code": request["service_code"],
        "jurisdiction_id": jurisdiction_id,
        "department_code": department.code,
        "department_name": department.name,
        "assigned_at": assigned_at,
    })
