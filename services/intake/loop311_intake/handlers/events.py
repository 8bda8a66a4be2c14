"""Events from routing and sla that keep the request's public view in step."""
from loop311_contracts.envelope import Event
from loop311_shared.clock import utcnow

from ..unit_of_work import IntakeUnitOfWork
from .category_models import record_correction


def handle_request_assigned(uow: IntakeUnitOfWork, event: Event) -> None:
    uow.requests.touch(int(event.data["request_id"]), utcnow(),
                       department_code=event.data["department_code"],
                       agency_responsible=event.data["agency_responsible"])


def handle_sla_started(uow: IntakeUnitOfWork, event: Event) -> None:
    uow.requests.touch(int(event.data["request_id"]), utcnow(), expected_at=event.data["due_at"])


def handle_request_reassigned(uow: IntakeUnitOfWork, event: Event) -> None:
    """A move shows as the new agency; a corrected category becomes the request's own, so
    Open311 shows it, with a public note saying so."""
    data, now = event.data, utcnow()
    request_id = int(data["request_id"])
    values = {"department_code": data["department_code"],
              "agency_responsible": data["agency_responsible"]}
    if data["service_code"] != data["previous_service_code"]:
        values["service_code"] = data["service_code"]
        uow.requests.add_note(request_id, "recategorized",
                              f"Category corrected from {data['previous_service_code']} to "
                              f"{data['service_code']}", now, author=data["reassigned_by"])
        record_correction(uow, request_id, data["service_code"])
    uow.requests.touch(request_id, now, **values)


def handle_directory_changed(uow: IntakeUnitOfWork, event: Event) -> None:
    """Keep intake's copy of the jurisdictions; an older announcement arriving late changes
    nothing."""
    if event.data["version"] > uow.jurisdictions.version():
        uow.jurisdictions.replace(event.data["version"], event.data["jurisdictions"])
