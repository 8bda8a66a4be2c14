"""routing's handlers: one per command and per consumed event. They never commit (the unit
of work does, once) and know nothing of HTTP."""
from loop311_contracts.envelope import Event
from loop311_shared.clock import utcnow
from loop311_shared.errors import Conflict, Invalid, NotFound

from .commands import ImportDirectory, ReassignRequest
from .domain.directory import DirectoryProblems, build_directory
from .domain.rules import agency, pick_person
from .schemas import DirectorySchema
from .unit_of_work import RoutingUnitOfWork


def import_directory(uow: RoutingUnitOfWork, command: ImportDirectory) -> dict:
    """Make the command's directory the one in force, all or nothing."""
    document = command.document
    try:
        directory = build_directory(document)
    except DirectoryProblems as problems:
        raise Invalid(str(problems)) from None
    listed = {department["code"] for department in document["departments"]}
    still_assigned = sorted(uow.directory.assigned_department_codes() - listed)
    if still_assigned:
        raise Conflict(f"department {', '.join(still_assigned)} cannot be removed: requests "
                       "are assigned to it; keep it in the directory")
    uow.directory.replace_departments(document["departments"])
    version = uow.directory.record_import(DirectorySchema().dump(document), command.author)
    populations = {j["id"]: j["population"] for j in document["jurisdictions"]}
    uow.publish("directory_changed", "directory", {
        "version": version["version"], "jurisdictions": [
            {"id": j.id, "name": j.name, "parent": j.parent, "population": populations[j.id],
             "offers": sorted(directory.offered_in(j.id))}
            for j in directory.jurisdictions.values()],
        "departments": [
            {"code": d.code, "jurisdiction": d.jurisdiction, "name": d.name,
             "supervisor": d.supervisor, "head": d.head}
            for d in directory.departments.values()]})
    uow.publish("staff_directory_recorded", "directory", {"version": version["version"], "staff": [
        {"id": person["id"], "name": person["name"], "department": department["code"],
         "email": person["email"], "phone": person["phone"],
         "notify_by": person["notify_by"], "reminders": person["reminders"]}
        for department in document["departments"] for person in department["staff"]]})
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
    assignee = _pick(uow, rule.strategy, rule.person, rule.id, department, now)
    uow.directory.record_assignment(request_id, service_code, now, lat=lat, long=long,
                                    jurisdiction_id=jurisdiction.id, department_code=department.code,
                                    assignee_id=assignee, rule_id=rule.id,
                                    category_suggestions=request["category_suggestions"])
    uow.publish("request_assigned", request_id, {
        "request_id": request_id, "service_code": service_code,
        "jurisdiction_id": jurisdiction.id, "jurisdiction_name": jurisdiction.name,
        "department_code": department.code, "department_name": department.name,
        "agency_responsible": agency(jurisdiction, department),
        "assignee_id": assignee,
        "rule_id": rule.id, "assigned_at": now,
    })


def reassign_request(uow: RoutingUnitOfWork, command: ReassignRequest) -> dict:
    """Move a request as staff say, keep the move in the audit trail, and tell everyone."""
    before = uow.directory.assignment(command.request_id, for_update=True)
    if before is None:
        raise NotFound(f"routing has not seen request {command.request_id!r}")
    directory = uow.directory_in_force()
    if directory is None:
        raise Conflict("no directory is imported yet")
    now = utcnow()
    service_code = command.service_code or before.service_code
    if command.department or command.assignee:
        department = directory.departments.get(command.department or before.department_code)
        if department is None:
            raise NotFound(f"no department {command.department or before.department_code!r}")
        if command.assignee and command.assignee not in dict(department.staff):
            raise Invalid(f"{command.assignee!r} is not on the staff of {department.code}")
        jurisdiction, rule_id = directory.jurisdictions[department.jurisdiction], None
        assignee = command.assignee
    else:
        if command.jurisdiction:
            jurisdiction = directory.jurisdictions.get(command.jurisdiction)
            if jurisdiction is None:
                raise NotFound(f"no jurisdiction {command.jurisdiction!r}")
            decision = directory.decide_within(jurisdiction, service_code, before.lat,
                                               before.long, now)
        elif command.service_code:
            decision = directory.decide(service_code, before.lat, before.long, now)
        else:
            raise Invalid("say where it goes: service_code, jurisdiction, department or assignee")
        if decision.rule is None:
            raise Conflict(f"nobody takes it there: {decision.triage_text}")
        jurisdiction, rule = decision.jurisdiction, decision.rule
        department = directory.departments[rule.department]
        assignee, rule_id = _pick(uow, rule.strategy, rule.person, rule.id, department, now), rule.id
    uow.directory.move(command.request_id, command.author, command.reason, now, before,
                       service_code=service_code, jurisdiction_id=jurisdiction.id,
                       department_code=department.code, assignee_id=assignee, rule_id=rule_id)
    moved = {
        "request_id": command.request_id, "service_code": service_code,
        "previous_service_code": before.service_code,
        "jurisdiction_id": jurisdiction.id, "jurisdiction_name": jurisdiction.name,
        "department_code": department.code, "department_name": department.name,
        "agency_responsible": agency(jurisdiction, department),
        "assignee_id": assignee,
        "rule_id": rule_id, "previous_jurisdiction_id": before.jurisdiction_id,
        "previous_department_code": before.department_code,
        "previous_assignee_id": before.assignee_id, "reason": command.reason,
        "reassigned_by": command.author, "reassigned_at": now,
    }
    uow.publish("request_reassigned", command.request_id, moved)
    return {**moved, "reassigned_at": now.isoformat()}


def handle_request_status_changed(uow: RoutingUnitOfWork, event: Event) -> None:
    """Closed requests leave the work queues (and stop counting for least-loaded)."""
    uow.directory.set_status(event.data["request_id"],
                             "closed" if event.data["status"] == "closed" else "open")


def _pick(uow, strategy, person, rule_id, department, now) -> str | None:
    staff = department.workers()
    turn = uow.directory.take_turn(rule_id) if strategy == "round_robin" else 0
    assignee, next_turn = pick_person(
        strategy, person, staff,
        uow.directory.open_items(staff) if strategy == "least_loaded" else {},
        department.on_call_at(now), turn)
    if next_turn != turn:
        uow.directory.set_turn(rule_id, next_turn)
    return assignee


def _triage(uow, request, now, jurisdiction_id, reason_code, reason) -> None:
    uow.directory.record_assignment(request["request_id"], request["service_code"], now,
                                    lat=request["lat"], long=request["long"],
                                    jurisdiction_id=jurisdiction_id or None,
                                    triage_reason=reason,
                                    category_suggestions=request["category_suggestions"])
    uow.publish("request_needs_triage", request["request_id"], {
        "request_id": request["request_id"], "service_code": request["service_code"],
        "jurisdiction_id": jurisdiction_id, "reason_code": reason_code, "reason": reason})
