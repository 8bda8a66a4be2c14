"""The one writer of sla's tables: the policies (and their imported versions) and the
clocks started from them."""
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from loop311_shared import reference_data

from .models import clocks, configuration_versions, policies

KIND = "policies"


class SlaRepository:
    def __init__(self, session: Session):
        self.session = session

    # Queries

    def resolve_within_hours(self, service_code: str) -> int | None:
        """The category's resolve-within target, or None when no policy names it."""
        return self.session.execute(
            select(policies.c.resolve_within_hours).where(policies.c.service_code == service_code)
        ).scalar_one_or_none()

    def has_clock(self, request_id: str) -> bool:
        return self.session.execute(
            select(clocks.c.request_id).where(clocks.c.request_id == request_id)).first() is not None

    def current_import(self) -> dict | None:
        return reference_data.current_import(self.session, configuration_versions, KIND)

    # Writes

    def start_clock(self, request_id: str, service_code: str, department_code: str,
                    started_at: datetime, due_at: datetime) -> None:
        self.session.execute(insert(clocks).values(
            request_id=request_id, service_code=service_code, department_code=department_code,
            started_at=started_at, due_at=due_at, status="running"))

    def replace_policies(self, new_policies: list[dict]) -> None:
        self.session.execute(delete(policies))
        if new_policies:
            self.session.execute(insert(policies), [
                {"service_code": policy["service_code"],
                 "resolve_within_hours": policy["resolve_within_hours"]} for policy in new_policies])

    def record_import(self, document: dict, author: str) -> dict:
        return reference_data.record_import(self.session, configuration_versions, KIND, document,
                                            author)
