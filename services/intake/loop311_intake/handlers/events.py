"""Events from routing and sla that keep the request's public view in step."""
from loop311_contracts.envelope import Event
from loop311_shared.clock import utcnow

from ..unit_of_work import IntakeUnitOfWork


def handle_request_assigned(uow: IntakeUnitOfWork, event: Event) -> None:
    uow.requests.touch(int(event.data["request_id"]), utcnow(),
                       department_code=event.data["department_code"],
                       agency_responsible=event.data["agency_responsible"])


def handle_sla_started(uow: IntakeUnitOfWork, event: Event) -> None:
    uow.requests.touch(int(event.data["request_id"]), utcnow(), expected_at=event.data["due_at"])
