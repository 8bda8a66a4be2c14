"""routing's handlers: one per command and per consumed event. They never commit (the unit
of work does, once) and know nothing of HTTP."""
from loop311_contracts.envelope import Event
from loop311_shared.clock import utcnow
from loop311_shared.errors import Conflict
from loop311_shared.loading import load

from .commands import ImportDirectory
from .schemas import DirectorySchema
from .unit_of_work import RoutingUnitOfWork


def import_directory(uow: RoutingUnitOfWork, command: ImportDirectory) -> dict:
    """Replace the whole directory with the command's document, all or nothing."""
    document = load(DirectorySchema(), command.document)
    listed = {department["code"] for department in document["departments"]}
    still_assigned = sorted(uow.directory.assigned_department_codes() - listed)
    if still_assigned:
        raise Conflict(f"department {', '.join(still_assigned)} cannot be removed: requests "
                       "are assigned to it; keep it in the directory")
    uow.directory.replace_directory(document["departments"], document["routes"])
    version = uow.directory.record_import(document, command.author)
    return {**version, "summary": f"{len(document['departments'])} departments, "
                                  f"{len(document['routes'])} routes"}


def handle_request_created(uow: RoutingUnitOfWork, event: Event, *, jurisdiction_id: str) -> None:
    """Assign a new request to the department that handles its category in this
    jurisdiction, or send it to triage when none does."""
    request = event.data
    department = uow.directory.department_for(jurisdiction_id, request["service_code"])
    if department is None:
        uow.publish("request_needs_triage", request["request_id"], {
            "request_id": request["request_id"],
            "service_code": request["service_code"],
            "jurisdiction_id": jurisdiction_id,
            "reason": "no department handles this service code",
        })
        return
    assigned_at = utcnow()
    uow.directory.add_assignment(request["request_id"], request["service_code"], jurisdiction_id,
                                 department.code, assigned_at)
    uow.publish("request_assigned", request["request_id"], {
        "request_id": request["request_id"],
        "service_code": request["service_code"],
        "jurisdiction_id": jurisdiction_id,
        "department_code": department.code,
        "department_name": department.name,
        "assigned_at": assigned_at,
    })
