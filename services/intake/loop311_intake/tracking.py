"""Keep the request record's public view in step with routing and sla."""
from sqlalchemy import update
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow
from loop311_shared.envelope import Event

from .models import service_requests


def record_assignment(session: Session, event: Event) -> None:
    _update(session, event.data["request_id"],
            department_code=event.data["department_code"],
            agency_responsible=event.data["department_name"])


def record_due_date(session: Session, event: Event) -> None:
    _update(session, event.data["request_id"], expected_at=event.data["due_at"])


def _update(session, request_id, **values):
    session.execute(update(service_requests)
                    .where(service_requests.c.id == int(request_id))
                    .values(updated_at=utcnow(), **values))
