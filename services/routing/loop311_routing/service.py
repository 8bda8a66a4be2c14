"""routing's entrypoints: events and the admin API in, commands to handlers, answers out."""
from pathlib import Path

from loop311_shared.auth import token_holder
from loop311_shared.db import Database
from loop311_shared.errors import NotFound
from loop311_shared.messaging import OutboxRelay, handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints
from loop311_shared.reference_data import ImportedVersionSchema
from loop311_shared.settings import SettingsProvider
from loop311_shared.unit_of_work import apply_once, run
from loop311_shared.web import Doc, http, json_object, json_response, load

from . import handlers, queries
from .commands import ImportDirectory, ReassignRequest
from .dependencies import Directories
from .models import outbox
from .schemas import (
    AssignmentSchema,
    DirectoryInForceSchema,
    DirectorySchema,
    QueuePageSchema,
    QueueQuerySchema,
    ReassignSchema,
)
from .settings import RoutingSettings
from .unit_of_work import RoutingUnitOfWork


class RoutingService(OperationalEndpoints):
    name = "routing"

    database = Database(Path(__file__).parent / "migrations")
    settings = SettingsProvider(RoutingSettings)
    outbox_relay = OutboxRelay("database", outbox)
    metrics = Metrics()
    directories = Directories()

    @handle_event("request_created")
    def handle_request_created(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_created)

    @http("PUT", "/admin/v1/directory", doc=Doc(
        summary="Import the directory (jurisdictions, departments and staff, rules), all or nothing",
        tags=("admin",), body=DirectorySchema,
        answers={200: ("the version now in force", ImportedVersionSchema)}, errors=(400, 401, 409),
        security="admin"))
    def import_directory(self, request):
        author = token_holder(request, self.settings.admin_api_tokens)
        document = load(DirectorySchema(), json_object(request))
        version = run(self._unit_of_work(), handlers.import_directory,
                      ImportDirectory(document=document, author=author))
        return json_response(version)

    @http("GET", "/admin/v1/directory", doc=Doc(
        summary="The routing directory in force, with its version", tags=("admin",),
        answers={200: ("the version in force and its document", DirectoryInForceSchema)},
        errors=(401, 404), security="admin"))
    def current_directory(self, request):
        token_holder(request, self.settings.admin_api_tokens)
        current = self._unit_of_work().directory.current_import()
        if current is None:
            raise NotFound("no directory has been imported yet: PUT /admin/v1/directory")
        return json_response(current)

    @handle_event("request_status_changed")
    def handle_request_status_changed(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_status_changed)

    # Staff: move a request, read its trail, read the work queues.

    @http("POST", "/staff/v1/requests/<string:request_id>/assignment", doc=Doc(
        summary="Reassign or transfer a request, or correct its category", tags=("staff",),
        body=ReassignSchema, answers={200: ("Where it is now", None)},
        errors=(400, 401, 404, 409), security="staff"))
    def reassign_request(self, request, request_id):
        author = token_holder(request, self.settings.staff_api_tokens)
        move = load(ReassignSchema(), json_object(request))
        return json_response(run(self._unit_of_work(), handlers.reassign_request,
                                 ReassignRequest(request_id, author=author, **move)))

    @http("GET", "/staff/v1/requests/<string:request_id>/assignment", doc=Doc(
        summary="Where a request is, and every move that brought it there", tags=("staff",),
        answers={200: ("Its place and audit trail", AssignmentSchema)}, errors=(401, 404),
        security="staff"))
    def assignment_trail(self, request, request_id):
        token_holder(request, self.settings.staff_api_tokens)
        return json_response(queries.assignment_with_moves(self.database, request_id))

    @http("GET", "/staff/v1/queues/triage", doc=Doc(
        summary="Requests nobody could take, with the reason", tags=("staff",),
        query=QueueQuerySchema, answers={200: ("One page", QueuePageSchema)}, errors=(400, 401),
        security="staff"))
    def triage_queue(self, request):
        return self._queue(request, triage=True)

    @http("GET", "/staff/v1/queues/departments/<string:code>", doc=Doc(
        summary="A department's work queue", tags=("staff",), query=QueueQuerySchema,
        answers={200: ("One page", QueuePageSchema)}, errors=(400, 401), security="staff"))
    def department_queue(self, request, code):
        return self._queue(request, department=code)

    @http("GET", "/staff/v1/queues/staff/<string:staff_id>", doc=Doc(
        summary="A person's work queue", tags=("staff",), query=QueueQuerySchema,
        answers={200: ("One page", QueuePageSchema)}, errors=(400, 401), security="staff"))
    def personal_queue(self, request, staff_id):
        return self._queue(request, assignee=staff_id)

    def _queue(self, request, **which):
        token_holder(request, self.settings.staff_api_tokens)
        filters = load(QueueQuerySchema(), request.args.to_dict())
        within = None
        if filters["area"]:
            directory = self._unit_of_work().directory_in_force()
            within = directory.places.get(filters["area"]) if directory else None
            if within is None:
                raise NotFound(f"no jurisdiction or area {filters['area']!r} in the directory")
        return json_response(queries.work_queue(self.database, filters, within=within, **which))


    def _unit_of_work(self) -> RoutingUnitOfWork:
        return RoutingUnitOfWork(self.database, self.name, self.directories)
