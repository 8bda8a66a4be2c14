"""What staff read: work queues (a department's, a person's, triage) and a request's place
with its audit trail. Reads only; the repository writes."""
from datetime import datetime, timedelta, timezone

from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loop311_shared.clock import iso
from loop311_shared.errors import NotFound

from .models import assignment_moves, assignments

QUEUE_COLUMNS = ("request_id", "service_code", "jurisdiction_id", "department_code",
                 "assignee_id", "rule_id", "state", "status", "triage_reason", "lat", "long",
                 "assigned_at", "category_suggestions")


def work_queue(session: Session, filters: dict, *, department: str | None = None,
               assignee: str | None = None, triage: bool = False, within=None,
               now: datetime | None = None) -> dict:
    """One page of a queue, oldest first. (When SLA due dates reach routing, they will sort
    it; until then the age does.) `within`: a boundary the requests must lie in."""
    conditions = [assignments.c.state == ("triage" if triage else "assigned")]
    if department is not None:
        conditions.append(assignments.c.department_code == department)
    if assignee is not None:
        conditions.append(assignments.c.assignee_id == assignee)
    if filters["status"] != "all":
        conditions.append(assignments.c.status == filters["status"])
    if filters["category"]:
        conditions.append(assignments.c.service_code == filters["category"])
    if filters["jurisdiction"]:
        conditions.append(assignments.c.jurisdiction_id == filters["jurisdiction"])
    if filters["older_than_hours"] is not None:
        now = now or datetime.now(timezone.utc)
        conditions.append(assignments.c.assigned_at <= now - timedelta(hours=filters["older_than_hours"]))
    size, start = filters["page_size"], (filters["page"] - 1) * filters["page_size"]
    query = (select(*(assignments.c[name] for name in QUEUE_COLUMNS)).where(*conditions)
             .order_by(assignments.c.assigned_at, assignments.c.request_id))
    if within is None:
        total = session.execute(select(func.count()).select_from(assignments)
                                .where(*conditions)).scalar_one()
        rows = session.execute(query.offset(start).limit(size)).all()
    else:
        # The bounding box in SQL, the exact boundary here.
        west, south, east, north = within.bounds
        candidates = session.execute(query.where(assignments.c.lat.between(south, north),
                                                 assignments.c.long.between(west, east))).all()
        inside = [row for row in candidates if within.covers(Point(row.long, row.lat))]
        total, rows = len(inside), inside[start:start + size]
    return {"items": [_item(row) for row in rows], "total": total, "page": filters["page"],
            "page_size": size}


def assignment_with_moves(session: Session, request_id: str) -> dict:
    row = session.execute(select(*(assignments.c[name] for name in QUEUE_COLUMNS))
                          .where(assignments.c.request_id == request_id)).first()
    if row is None:
        raise NotFound(f"routing has not seen request {request_id!r}")
    moves = session.execute(select(assignment_moves).where(assignment_moves.c.request_id == request_id)
                            .order_by(assignment_moves.c.id))
    return {**_item(row), "moves": [
        {**{k: v for k, v in move._mapping.items() if k not in ("id", "request_id")},
         "moved_at": iso(move.moved_at)} for move in moves]}


def _item(row) -> dict:
    return {**row._mapping, "assigned_at": iso(row.assigned_at),
            "category_suggestions": row.category_suggestions or []}

