"""Staff move a request through its life and comment on it; each change is an event."""
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow
from loop311_shared.errors import BadRequest, ClientError, NotFound
from loop311_shared.outbox import record_event
from loop311_shared.schemas import RESOLUTIONS

from .models import outbox, request_notes, service_requests

NEXT_STATUSES = {
    "open": ("acknowledged", "in_progress", "closed"),
    "acknowledged": ("in_progress", "closed"),
    "in_progress": ("closed",),
    "closed": ("open",),  # reopen
}


class Conflict(ClientError):
    status = 409


def change_status(session: Session, request_id: str, body: dict, author: str) -> dict:
    status, resolution, note = body.get("status"), body.get("resolution"), body.get("note")
    if status not in NEXT_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(NEXT_STATUSES)}")
    if status == "closed" and resolution not in RESOLUTIONS:
        raise BadRequest(f"closing needs a resolution: one of {', '.join(RESOLUTIONS)}")
    if status != "closed" and resolution is not None:
        raise BadRequest("only closing takes a resolution")
    if note is not None and (not isinstance(note, str) or len(note) > 4000):
        raise BadRequest("note must be text of at most 4000 characters")
    row = _locked_request(session, request_id)
    if status not in NEXT_STATUSES[row.status]:
        raise Conflict(f"a request that is {row.status} cannot become {status}")
    now = utcnow()
    session.execute(update(service_requests).where(service_requests.c.id == row.id).values(
        status=status, resolution=resolution, status_notes=note, updated_at=now))
    summary = f"Status changed to {status}" + (f" ({resolution})" if resolution else "")
    session.execute(insert(request_notes).values(
        request_id=row.id, type="status_change", summary=summary + (f": {note}" if note else ""),
        datetime=now, visibility="public", author=author))
    record_event(session, outbox, "request_status_changed", str(row.id), {
        "request_id": str(row.id), "service_code": row.service_code,
        "previous_status": row.status, "status": status, "resolution": resolution,
        "public_note": note, "changed_at": now})
    session.commit()
    return {"service_request_id": str(row.id), "status": status, "resolution": resolution}


def add_comment(session: Session, request_id: str, body: dict, author: str) -> dict:
    text, visibility = body.get("text"), body.get("visibility", "public")
    if not isinstance(text, str) or not 1 <= len(text.strip()) <= 4000:
        raise BadRequest("text must be 1 to 4000 characters")
    if visibility not in ("public", "internal"):
        raise BadRequest("visibility must be public or internal")
    row = _locked_request(session, request_id)
    now = utcnow()
    comment_id = session.execute(insert(request_notes).values(
        request_id=row.id, type="comment", summary=text.strip(), datetime=now,
        visibility=visibility, author=author)).inserted_primary_key[0]
    session.execute(update(service_requests).where(service_requests.c.id == row.id)
                    .values(updated_at=now))
    record_event(session, outbox, "request_commented", str(row.id), {
        "request_id": str(row.id), "comment_id": str(comment_id), "visibility": visibility,
        "text": text.strip() if visibility == "public" else None, "commented_at": now})
    session.commit()
    return {"comment_id": str(comment_id), "visibility": visibility}


def _locked_request(session, request_id):
    if not request_id.isdigit() or len(request_id) > 18:
        raise NotFound(f"no service request with id {request_id!r}")
    row = session.execute(select(service_requests.c.id, service_requests.c.status,
                                 service_requests.c.service_code)
                          .where(service_requests.c.id == int(request_id))
                          .with_for_update()).first()
    if row is None:
        raise NotFound(f"no service request with id {request_id!r}")
    return row
