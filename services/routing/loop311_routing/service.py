from functools import partial
from pathlib import Path

from loop311_shared.db import Database
from loop311_shared.inbox import apply_once
from loop311_shared.messaging import OutboxRelay, handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints

from .assignment import assign_request
from .models import inbox, outbox


class RoutingService(OperationalEndpoints):
    name = "routing"

    database = Database(Path(__file__).parent / "migrations")
    outbox_relay = OutboxRelay("database", outbox)
    metrics = Metrics()

    @handle_event("request_created")
    def handle_request_created(self, event):
        jurisdiction_id = self.config.get("JURISDICTION_ID", "city")
        return apply_once(self.database, inbox, self.name, event,
                          partial(assign_request, jurisdiction_id=jurisdiction_id))
