"""Keep the request record's public view in step with routing and sla."""
from datetime import timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow
from loop311_shared.envelope import Event
from loop311_shared.errors import NotFound

from .models import service_catalog, service_requests


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


def public_view(session: Session, request_id: str) -> dict:
    """The request as Open311 GeoReport v2 shows it: no personal data."""
    row = session.execute(
        select(service_requests, service_catalog.c.service_name)
        .join(service_catalog, service_catalog.c.service_code == service_requests.c.service_code)
        .where(service_requests.c.id == _numeric_id(request_id))
    ).first()
    if row is None:
        raise NotFound(f"no service request with id {request_id!r}")
    return {
        "service_request_id": str(row.id),
        "status": row.status,
        "service_code": row.service_code,
        "service_name": row.service_name,
        "description": row.description,
        "agency_responsible": row.agency_responsible,
        "requested_datetime": _iso(row.requested_at),
        "updated_datetime": _iso(row.updated_at),
        "expected_datetime": _iso(row.expected_at),
        "address": row.address,
        "lat": row.lat,
        "long": row.long,
        "media_url": None,
    }


def list_services(session: Session) -> list[dict]:
    rows = session.execute(select(service_catalog).order_by(service_catalog.c.service_code))
    return [{
        "service_code": row.service_code, "service_name": row.service_name,
        "description": row.description, "metadata": False, "type": "realtime",
        "keywords": "", "group": row.group,
    } for row in rows]


def _numeric_id(request_id: str) -> int:
    if not request_id.isdigit() or len(request_id) > 18:
        raise NotFound(f"no service request with id {request_id!r}")
    return int(request_id)


def _iso(value):
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite drops the zone; everything is stored in UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()
