"""sla's handlers: one per command and per consumed event. They never commit (the unit of
work does, once) and know nothing of HTTP."""
from loop311_contracts.envelope import Event
from loop311_shared.loading import load

from .commands import ImportPolicies
from .domain.due_dates import due_at, resolve_within_hours
from .schemas import PoliciesSchema
from .unit_of_work import SlaUnitOfWork


def import_policies(uow: SlaUnitOfWork, command: ImportPolicies) -> dict:
    """Replace all SLA policies with the command's document, all or nothing. Running clocks
    keep the due date they were started with."""
    document = load(PoliciesSchema(), command.document)
    uow.sla.replace_policies(document["policies"])
    version = uow.sla.record_import(document, command.author)
    return {**version, "summary": f"{len(document['policies'])} policies"}


def handle_request_assigned(uow: SlaUnitOfWork, event: Event, *, default_hours: int) -> None:
    """Start the request's SLA clock; its due date comes from its category's policy."""
    assignment = event.data
    request_id = assignment["request_id"]
    if uow.sla.has_clock(request_id):
        return  # a reassignment keeps the clock the resident was promised
    hours = resolve_within_hours(uow.sla.resolve_within_hours(assignment["service_code"]),
                                 default_hours)
    started_at = assignment["assigned_at"]
    due = due_at(started_at, hours)
    uow.sla.start_clock(request_id, assignment["service_code"], assignment["department_code"],
                        started_at, due)
    uow.publish("sla_started", request_id, {
        "request_id": request_id,
        "service_code": assignment["service_code"],
        "department_code": assignment["department_code"],
        "started_at": started_at,
        "due_at": due,
    })
