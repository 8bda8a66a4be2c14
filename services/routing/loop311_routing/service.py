"""routing's entrypoints: events and the admin API in, commands to handlers, answers out."""
from pathlib import Path

from loop311_shared.auth import authenticated_name
from loop311_shared.db import Database
from loop311_shared.errors import NotFound
from loop311_shared.messaging import OutboxRelay, handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints
from loop311_shared.reference_data import ImportedVersionSchema
from loop311_shared.settings import SettingsProvider
from loop311_shared.unit_of_work import apply_once, run
from loop311_shared.web import Doc, http, json_object, json_response, load

from . import handlers
from .commands import ImportDirectory
from .dependencies import Directories
from .models import outbox
from .schemas import DirectoryInForceSchema, DirectorySchema
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
        author = authenticated_name(request.headers.get("Authorization"),
                                    self.settings.admin_api_tokens)
        document = load(DirectorySchema(), json_object(request))
        version = run(self._unit_of_work(), handlers.import_directory,
                      ImportDirectory(document=document, author=author))
        return json_response(version)

    @http("GET", "/admin/v1/directory", doc=Doc(
        summary="The routing directory in force, with its version", tags=("admin",),
        answers={200: ("the version in force and its document", DirectoryInForceSchema)},
        errors=(401, 404), security="admin"))
    def current_directory(self, request):
        authenticated_name(request.headers.get("Authorization"), self.settings.admin_api_tokens)
        current = self._unit_of_work().directory.current_import()
        if current is None:
            raise NotFound("no directory has been imported yet: PUT /admin/v1/directory")
        return json_response(current)

    def _unit_of_work(self) -> RoutingUnitOfWork:
        return RoutingUnitOfWork(self.database, self.name, self.directories)
