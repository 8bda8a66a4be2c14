"""The one writer of routing's tables: the directory (departments, category routes, its
imported versions) and the assignments made from it."""
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from loop311_shared import reference_data

from .models import assignments, category_routes, configuration_versions, departments

KIND = "directory"


class DirectoryRepository:
    def __init__(self, session: Session):
        self.session = session

    # Queries

    def department_for(self, jurisdiction_id: str, service_code: str):
        """The department (code, name) routed `service_code` in `jurisdiction_id`, or None."""
        return self.session.execute(
            select(departments.c.code, departments.c.name)
            .join(category_routes, category_routes.c.department_code == departments.c.code)
            .where(category_routes.c.jurisdiction_id == jurisdiction_id,
                   category_routes.c.service_code == service_code)
        ).first()

    def department_codes(self) -> set[str]:
        return set(self.session.execute(select(departments.c.code)).scalars())

    def assigned_department_codes(self) -> set[str]:
        """Departments that assignments refer to (they cannot be removed)."""
        return set(self.session.execute(select(assignments.c.department_code).distinct()).scalars())

    def current_import(self) -> dict | None:
        return reference_data.current_import(self.session, configuration_versions, KIND)

    # Writes

    def add_assignment(self, request_id: str, service_code: str, jurisdiction_id: str,
                       department_code: str, assigned_at: datetime) -> None:
        self.session.execute(insert(assignments).values(
            request_id=request_id, service_code=service_code, jurisdiction_id=jurisdiction_id,
            department_code=department_code, assigned_at=assigned_at))

    def replace_directory(self, new_departments: list[dict], routes: list[dict]) -> None:
        """Make the departments and routes exactly these. Departments that stay are updated
        in place, so assignments referring to them keep their foreign key."""
        self.session.execute(delete(category_routes))
        kept = self.department_codes()
        wanted = {department["code"]: department["name"] for department in new_departments}
        gone = kept - set(wanted)
        if gone:
            self.session.execute(delete(departments).where(departments.c.code.in_(sorted(gone))))
        for code, name in wanted.items():
            if code in kept:
                self.session.execute(update(departments).where(departments.c.code == code)
                                     .values(name=name))
            else:
                self.session.execute(insert(departments).values(code=code, name=name))
        if routes:
            self.session.execute(insert(category_routes), [
                {"jurisdiction_id": route["jurisdiction_id"], "service_code": route["service_code"],
                 "department_code": route["department_code"]} for route in routes])

    def record_import(self, document: dict, author: str) -> dict:
        return reference_data.record_import(self.session, configuration_versions, KIND, document,
                                            author)
