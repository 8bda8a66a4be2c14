from pathlib import Path

from loop311_shared.db import Database
from loop311_shared.inbox import apply_once
from loop311_shared.messaging import OutboxRelay, handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints
from loop311_shared.web import http, json_response

from .models import inbox, outbox
from .requests_body import request_fields
from .submission import submit_request
from .tracking import list_services, public_view, record_assignment, record_due_date

OPEN311 = "/open311/v2"


class IntakeService(OperationalEndpoints):
    name = "intake"

    database = Database(Path(__file__).parent / "migrations")
    outbox_relay = OutboxRelay("database", outbox)
    metrics = Metrics()

    @http("GET", f"{OPEN311}/services.json")
    def get_services(self, request):
        return json_response(list_services(self.database))

    @http("POST", f"{OPEN311}/requests.json")
    def post_request(self, request):
        request_id = submit_request(self.database, request_fields(request))
        return json_response([{"service_request_id": request_id, "service_notice": "",
                               "account_id": None}], status=201)

    @http("GET", f"{OPEN311}/requests/<string:request_id>.json")
    def get_request(self, request, request_id):
        return json_response([public_view(self.database, request_id)])

    @handle_event("request_assigned")
    def handle_request_assigned(self, event):
        return apply_once(self.database, inbox, self.name, event, record_assignment)

    @handle_event("sla_started")
    def handle_sla_started(self, event):
        return apply_once(self.database, inbox, self.name, event, record_due_date)
