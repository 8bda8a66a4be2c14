"""The one writer of routing's tables: the directory in force (its imported versions and
its departments), the assignments made from it, and the round-robin turns."""
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from loop311_shared import reference_data

from .models import assignment_moves, assignments, configuration_versions, departments, rotations

KIND = "directory"
# Taken on every assignment; built once, as composing one cost more CPU than running it.
TURN = select(rotations.c.turn).where(rotations.c.rule_id == bindparam("rule_id")).with_for_update()
SET_TURN = update(rotations).where(rotations.c.rule_id == bindparam("rule"))


class DirectoryRepository(reference_data.ImportedVersions):
    versions_table = configuration_versions
    kind = KIND

    def __init__(self, session: Session):
        self.session = session

    # The directory in force (its versions: ImportedVersions)

    def assigned_department_codes(self) -> set[str]:
        """Departments that assignments refer to (they cannot be removed)."""
        return set(self.session.execute(
            select(assignments.c.department_code).where(assignments.c.department_code.is_not(None))
            .distinct()).scalars())

    def replace_departments(self, wanted: list[dict]) -> None:
        """Make the departments exactly these; those that stay are updated in place, so
        assignments referring to them keep their foreign key."""
        kept = set(self.session.execute(select(departments.c.code)).scalars())
        codes = {department["code"] for department in wanted}
        if kept - codes:
            self.session.execute(delete(departments).where(departments.c.code.in_(sorted(kept - codes))))
        for department in wanted:
            values = {"name": department["name"], "jurisdiction_id": department["jurisdiction"]}
            if department["code"] in kept:
                self.session.execute(update(departments)
                                     .where(departments.c.code == department["code"]).values(**values))
            else:
                self.session.execute(insert(departments).values(code=department["code"], **values))


    # Assignments

    def record_assignment(self, request_id: str, service_code: str, at: datetime, *, lat, long,
                          jurisdiction_id=None, department_code=None, assignee_id=None,
                          rule_id=None, triage_reason=None, category_suggestions=()) -> None:
        self.session.execute(insert(assignments), {
            "request_id": request_id, "service_code": service_code, "assigned_at": at,
            "lat": lat, "long": long, "jurisdiction_id": jurisdiction_id,
            "department_code": department_code, "assignee_id": assignee_id, "rule_id": rule_id,
            "state": "triage" if triage_reason else "assigned", "triage_reason": triage_reason,
            "category_suggestions": list(category_suggestions)})

    def assignment(self, request_id: str, for_update: bool = False):
        query = select(assignments).where(assignments.c.request_id == request_id)
        return self.session.execute(query.with_for_update() if for_update else query).first()

    def move(self, request_id: str, moved_by: str, reason: str, at: datetime, before, *,
             service_code: str, jurisdiction_id: str, department_code: str,
             assignee_id: str | None, rule_id: str | None) -> None:
        """Put the request where it now belongs, and keep the move in the audit trail."""
        self.session.execute(update(assignments).where(assignments.c.request_id == request_id)
                             .values(service_code=service_code, jurisdiction_id=jurisdiction_id,
                                     department_code=department_code, assignee_id=assignee_id,
                                     rule_id=rule_id, state="assigned", triage_reason=None))
        self.session.execute(insert(assignment_moves).values(
            request_id=request_id, moved_at=at, moved_by=moved_by, reason=reason,
            from_service_code=before.service_code, from_jurisdiction_id=before.jurisdiction_id,
            from_department_code=before.department_code, from_assignee_id=before.assignee_id,
            to_service_code=service_code, to_jurisdiction_id=jurisdiction_id,
            to_department_code=department_code, to_assignee_id=assignee_id))


    def set_status(self, request_id: str, status: str) -> None:
        self.session.execute(update(assignments).where(assignments.c.request_id == request_id)
                             .values(status=status))

    def open_items(self, staff: list[str]) -> dict[str, int]:
        """How many open assignments each of these people holds."""
        if not staff:
            return {}
        rows = self.session.execute(
            select(assignments.c.assignee_id, func.count())
            .where(assignments.c.assignee_id.in_(staff), assignments.c.status == "open")
            .group_by(assignments.c.assignee_id))
        return {who: count for who, count in rows}

    def take_turn(self, rule_id: str) -> int:
        """The rule's round-robin turn, locked until the work commits, so replicas take
        turns in order."""
        turn = self.session.execute(TURN, {"rule_id": rule_id}).scalar_one_or_none()
        if turn is None:
            self.session.execute(insert(rotations).values(rule_id=rule_id, turn=0))
            return 0
        return turn

    def set_turn(self, rule_id: str, turn: int) -> None:
        self.session.execute(SET_TURN, {"rule": rule_id, "turn": turn})
