"""ChangeStatus and AddComment: staff move a request through its life and comment on it;
each change is an event."""
from loop311_contracts.schemas import RESOLUTIONS
from loop311_shared.clock import utcnow
from loop311_shared.errors import Invalid, NotFound

from ..commands import AddComment, ChangeStatus
from ..domain.ids import is_id
from ..errors import NotAllowedNow
from ..unit_of_work import IntakeUnitOfWork

NEXT_STATUSES = {
    "open": ("acknowledged", "in_progress", "closed"),
    "acknowledged": ("in_progress", "closed"),
    "in_progress": ("closed",),
    "closed": ("open",),  # reopen
}


def change_status(uow: IntakeUnitOfWork, command: ChangeStatus) -> dict:
    status, resolution, note = command.status, command.resolution, command.note
    if status == "closed" and resolution not in RESOLUTIONS:
        raise Invalid(f"closing needs a resolution: one of {', '.join(RESOLUTIONS)}")
    if status == "closed" and not (note or "").strip():
        raise Invalid("closing needs a note: what was done, in words the resident will read")
    if status != "closed" and resolution is not None:
        raise Invalid("only closing takes a resolution")
    row = locked_request(uow, command.request_id)
    if status not in NEXT_STATUSES[row.status]:
        raise NotAllowedNow(f"a request that is {row.status} cannot become {status}")
    now = utcnow()
    uow.requests.set_status(row.id, status, resolution, note, now)
    summary = f"Status changed to {status}" + (f" ({resolution})" if resolution else "")
    uow.requests.add_note(row.id, "status_change", summary + (f": {note}" if note else ""), now,
                          author=command.author)
    uow.publish("request_status_changed", str(row.id), {
        "request_id": str(row.id), "service_code": row.service_code,
        "previous_status": row.status, "status": status, "resolution": resolution,
        "public_note": note, "changed_at": now})
    return {"service_request_id": str(row.id), "status": status, "resolution": resolution}


def add_comment(uow: IntakeUnitOfWork, command: AddComment) -> dict:
    row = locked_request(uow, command.request_id)
    text = command.text.strip()
    now = utcnow()
    comment_id = uow.requests.add_note(row.id, "comment", text, now,
                                       visibility=command.visibility, author=command.author)
    uow.requests.touch(row.id, now)
    # Internal notes may quote a resident, so their text never leaves intake.
    uow.publish("request_commented", str(row.id), {
        "request_id": str(row.id), "comment_id": str(comment_id),
        "visibility": command.visibility,
        "text": text if command.visibility == "public" else None, "commented_at": now})
    return {"comment_id": str(comment_id), "visibility": command.visibility}


def locked_request(uow, request_id: str):
    row = uow.requests.locked(int(request_id)) if is_id(request_id) else None
    if row is None:
        raise NotFound(f"no service request with id {request_id!r}")
    return row
