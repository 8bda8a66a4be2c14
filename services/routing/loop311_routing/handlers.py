"""routing's handlers: one per command and per consumed event. They never commit (the unit
of work does, once) and know nothing of HTTP."""
from loop311_contracts.envelope import Event
from loop311_shared.clock import utcnow
from loop311_shared.errors import Conflict, Invalid

from .commands import ImportDirectory
from .domain.directory import DirectoryProblems, build_directory
from .domain.rules import agency, pick_person
from .schemas import DirectorySchema
from .unit_of_work import RoutingUnitOfWork


def import_directory(uow: RoutingUnitOfWork, command: ImportDirectory) -> dict:
    """Make the command's directory the one in force, all or nothing."""
    document = command.document
    try:
        build_directory(document)
    except DirectoryProblems as problems:
        raise Invalid(str(problems)) from None
    listed = {department["code"] for department in document["departments"]}
    still_assigned = sorted(uow.directory.assigned_department_codes() - listed)
    if still_assigned:
        raise Conflict(f"department {', '.join(still_assigned)} cannot be removed: requests "
                       "are assigned to it; keep it in the directory")
    uow.directory.replace_departments(document["departments"])
    version = uow.directory.record_import(DirectorySchema().dump(document), command.author)
    return {**version, "summary": f"{len(document['jurisdictions'])} jurisdictions, "
                                  f"{len(document['departments'])} departments, "
                                  f"{len(document['rules'])} rules"}


def handle_request_created(uow: RoutingUnitOfWork, event: Event) -> None:
    """Assign a new request by where it is and what it is, or send it to triage saying why."""
    request = event.data
    request_id, service_code = request["request_id"], request["service_code"]
    lat, long, now = request["lat"], request["long"], utcnow()
    directory = uow.directory_in_force()
    if directory is None:
        return _triage(uow, request, now, "", "no_matching_rule", "no directory is imported yet")
    decision = directory.decide(service_code, lat, long, now)
    if decision.rule is None:
        return _triage(uow, request, now, decision.innermost, decision.triage_reason,
                       decision.triage_text)
    jurisdiction, rule = decision.jurisdiction, decision.rule
    department = directory.departments[rule.department]
    staff = department.workers()
    turn = uow.directory.take_turn(rule.id) if rule.strategy == "round_robin" else 0
    assignee, next_turn = pick_person(
        rule.strategy, rule.person, staff,
        uow.directory.open_items(staff) if rule.strategy == "least_loaded" else {},
        department.on_call_at(now), turn)
    if next_turn != turn:
        uow.directory.set_turn(rule.id, next_turn)
    uow.directory.record_assignment(request_id, service_code, now, lat=lat, long=long,
                                    jurisdiction_id=jurisdiction.id, department_code=department.code,
                                    assignee_id=assignee, rule_id=rule.id)
    uow.publish("request_assigned", request_id, {
        "request_id": request_id, "service_code": service_code,
        "jurisdiction_id": jurisdiction.id, "jurisdiction_name": jurisdiction.name,
        "department_code": department.code, "department_name": department.name,
        "agency_responsible": agency(jurisdiction, department),
        "assignee_id": assignee, "assignee_name": department.name_of(assignee),
        "rule_id": rule.id, "assigned_at": now,
    })


def _triage(uow, request, now, jurisdiction_id, reason_code, reason) -> None:
    uow.directory.record_assignment(request["request_id"], request["service_code"], now,
                                    lat=request["lat"], long=request["long"],
                                    jurisdiction_id=jurisdiction_id or None,
                                    triage_reason=reason)
    uow.publish("request_needs_triage", request["request_id"], {
        "request_id": request["request_id"], "service_code": request["service_code"],
        "jurisdiction_id": jurisdiction_id, "reason_code": reason_code, "reason": reason})
