"""sla's entrypoints: events and the admin and staff APIs in, commands to handlers,
answers out."""
import json
from pathlib import Path

from werkzeug.wrappers import Response

from loop311_shared.auth import token_holder
from loop311_shared.clock import utcnow
from loop311_shared.db import Database
from loop311_shared.errors import NotFound
from loop311_shared.messaging import OutboxRelay, handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints
from loop311_shared.reference_data import ImportedVersionSchema
from loop311_shared.settings import SettingsProvider
from loop311_shared.unit_of_work import apply_once, run
from loop311_shared.web import Doc, http, json_object, json_response, load

from . import handlers, report_card
from .commands import ImportPolicies, PauseClock, SuspendJurisdiction
from .dependencies import PoliciesProvider, TimerLoop
from .models import outbox
from .schemas import (
    ExportQuerySchema,
    PauseSchema,
    PoliciesInForceSchema,
    PoliciesSchema,
    ReportQuerySchema,
)
from .settings import SlaSettings
from .unit_of_work import SlaUnitOfWork


class SlaService(OperationalEndpoints):
    name = "sla"

    database = Database(Path(__file__).parent / "migrations")
    settings = SettingsProvider(SlaSettings)
    policies = PoliciesProvider()
    outbox_relay = OutboxRelay("database", outbox)
    timer_loop = TimerLoop("database")
    metrics = Metrics()

    @handle_event("request_created")
    def handle_request_created(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_created)

    @handle_event("resident_rated")
    def handle_resident_rated(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_resident_rated)

    @handle_event("request_assigned")
    def handle_request_assigned(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_assigned)

    @handle_event("request_status_changed")
    def handle_request_status_changed(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_status_changed)

    @handle_event("request_reassigned")
    def handle_request_reassigned(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_reassigned)

    @handle_event("request_commented")
    def handle_request_commented(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_commented)

    @handle_event("directory_changed")
    def handle_directory_changed(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_directory_changed)

    @http("PUT", "/admin/v1/policies", doc=Doc(
        summary="Import the business calendars and SLA policies, all or nothing",
        tags=("admin",), body=PoliciesSchema,
        answers={200: ("the version now in force", ImportedVersionSchema)}, errors=(400, 401),
        security="admin"))
    def import_policies(self, request):
        author = token_holder(request, self.settings.admin_api_tokens)
        document = load(PoliciesSchema(), json_object(request))
        return json_response(run(self._unit_of_work(), handlers.import_policies,
                                 ImportPolicies(document=document, author=author)))

    @http("GET", "/admin/v1/policies", doc=Doc(
        summary="The calendars and policies in force, with their version", tags=("admin",),
        answers={200: ("the version in force and its document", PoliciesInForceSchema)},
        errors=(401, 404), security="admin"))
    def current_policies(self, request):
        token_holder(request, self.settings.admin_api_tokens)
        current = self._unit_of_work().sla.current_import()
        if current is None:
            raise NotFound("no policies have been imported yet: PUT /admin/v1/policies")
        return json_response(current)

    @http("POST", "/staff/v1/requests/<string:request_id>/pause", doc=Doc(
        summary="Pause the resolve clock (waiting on the resident)", tags=("staff",),
        body=PauseSchema, answers={200: ("Paused", None)}, errors=(400, 401, 404, 409),
        security="staff"))
    def pause(self, request, request_id):
        return self._pause(request, request_id, resume=False)

    @http("POST", "/staff/v1/requests/<string:request_id>/resume", doc=Doc(
        summary="Resume the resolve clock; the due date moves by the time paused",
        tags=("staff",), body=PauseSchema, answers={200: ("Resumed", None)},
        errors=(400, 401, 404, 409), security="staff"))
    def resume(self, request, request_id):
        return self._pause(request, request_id, resume=True)

    @http("POST", "/admin/v1/jurisdictions/<string:jurisdiction_id>/suspension", doc=Doc(
        summary="Suspend every open clock of a jurisdiction (a storm closes offices)",
        tags=("admin",), body=PauseSchema, answers={200: ("How many clocks paused", None)},
        errors=(400, 401), security="admin"))
    def suspend_jurisdiction(self, request, jurisdiction_id):
        return self._suspend(request, jurisdiction_id, lift=False)

    @http("POST", "/admin/v1/jurisdictions/<string:jurisdiction_id>/resumption", doc=Doc(
        summary="Lift a jurisdiction's suspension: its clocks run again, due dates moved",
        tags=("admin",), body=PauseSchema, answers={200: ("How many clocks resumed", None)},
        errors=(400, 401), security="admin"))
    def resume_jurisdiction(self, request, jurisdiction_id):
        return self._suspend(request, jurisdiction_id, lift=True)

    def _suspend(self, request, jurisdiction_id, lift):
        author = token_holder(request, self.settings.admin_api_tokens)
        body = load(PauseSchema(), json_object(request))
        return json_response(run(self._unit_of_work(), handlers.suspend_jurisdiction,
                                 SuspendJurisdiction(jurisdiction_id, body["reason"], author,
                                                     lift=lift)))

    def _pause(self, request, request_id, resume):
        author = token_holder(request, self.settings.staff_api_tokens)
        body = load(PauseSchema(), json_object(request))
        return json_response(run(self._unit_of_work(), handlers.pause_clock,
                                 PauseClock(request_id, body["reason"], author, resume=resume)))

    # The report card: staff read it, managers export it.

    @http("GET", "/staff/v1/report-card", doc=Doc(
        summary="Opened, acknowledged, closed, reopened; times to acknowledge and close "
                "(median, 90th percentile; calendar and business); on-time share per target; "
                "overdue now; per 1,000 residents by jurisdiction",
        tags=("report card",), query=ReportQuerySchema,
        answers={200: ("One row per group", None)}, answer_types=("application/json", "text/csv"),
        errors=(400, 401, 503), security="staff"))
    def report(self, request):
        token_holder(request, self.settings.staff_api_tokens)
        query = load(ReportQuerySchema(), request.args.to_dict())
        rows = report_card.report_card(self.database, query["start"], query["end"], query["by"],
                                       utcnow(), populations=self._unit_of_work().sla.populations())
        if query["format"] == "csv":
            return self._download(report_card.report_card_csv(rows), "text/csv", "report-card.csv")
        return json_response(rows)

    @http("GET", "/staff/v1/report-card/export", doc=Doc(
        summary="A period's requests by category and day, and where they were (for disaster "
                "reimbursement): CSV or GeoJSON", tags=("report card",), query=ExportQuerySchema,
        answers={200: ("The export", None)},
        answer_types=("text/csv", "application/geo+json"), errors=(400, 401, 503), security="staff"))
    def export(self, request):
        token_holder(request, self.settings.staff_api_tokens)
        query = load(ExportQuerySchema(), request.args.to_dict())
        if query["format"] == "geojson":
            return self._download(json.dumps(report_card.disaster_geojson(
                self.database, query["start"], query["end"])), "application/geo+json",
                "requests.geojson")
        return self._download(report_card.disaster_csv(report_card.disaster_export(
            self.database, query["start"], query["end"])), "text/csv", "requests-by-day.csv")

    @staticmethod
    def _download(body: str, content_type: str, filename: str) -> Response:
        return Response(body, content_type=content_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


    def _unit_of_work(self) -> SlaUnitOfWork:
        return SlaUnitOfWork(self.database, self.name, self.policies)
