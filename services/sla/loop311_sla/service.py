"""sla's entrypoints: events and the admin API in, commands to handlers, answers out."""
from functools import partial
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
from .commands import ImportPolicies
from .models import outbox
from .schemas import PoliciesInForceSchema, PoliciesSchema
from .settings import SlaSettings
from .unit_of_work import SlaUnitOfWork


class SlaService(OperationalEndpoints):
    name = "sla"

    database = Database(Path(__file__).parent / "migrations")
    settings = SettingsProvider(SlaSettings)
    outbox_relay = OutboxRelay("database", outbox)
    metrics = Metrics()

    @handle_event("request_assigned")
    def handle_request_assigned(self, event):
        handler = partial(handlers.handle_request_assigned,
                          default_hours=self.settings.default_resolve_hours)
        return apply_once(SlaUnitOfWork(self.database, self.name), event, handler)

    @http("PUT", "/admin/v1/policies", doc=Doc(
        summary="Import the SLA policies (resolve-within targets by category), all or nothing",
        tags=("admin",), body=PoliciesSchema,
        answers={200: ("the version now in force", ImportedVersionSchema)}, errors=(400, 401),
        security="admin"))
    def import_policies(self, request):
        author = authenticated_name(request.headers.get("Authorization"),
                                    self.settings.admin_api_tokens)
        document = load(PoliciesSchema(), json_object(request))
        version = run(SlaUnitOfWork(self.database), handlers.import_policies,
                      ImportPolicies(document=document, author=author))
        return json_response(version)

    @http("GET", "/admin/v1/policies", doc=Doc(
        summary="The SLA policies in force, with their version", tags=("admin",),
        answers={200: ("the version in force and its document", PoliciesInForceSchema)},
        errors=(401, 404), security="admin"))
    def current_policies(self, request):
        authenticated_name(request.headers.get("Authorization"), self.settings.admin_api_tokens)
        current = SlaUnitOfWork(self.database).sla.current_import()
        if current is None:
            raise NotFound("no policies have been imported yet: PUT /admin/v1/policies")
        return json_response(current)
