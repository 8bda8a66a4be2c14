from functools import partial
from pathlib import Path

from loop311_shared.db import Database
from loop311_shared.inbox import apply_once
from loop311_shared.messaging import OutboxRelay, handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints

from .clocks import start_clock
from .models import inbox, outbox


class SlaService(OperationalEndpoints):
    name = "sla"

    database = Database(Path(__file__).parent / "migrations")
    outbox_relay = OutboxRelay("database", outbox)
    metrics = Metrics()

    @handle_event("request_assigned")
    def handle_request_assigned(self, event):
        default_hours = int(self.config.get("DEFAULT_RESOLVE_HOURS", 120))
        return apply_once(self.database, inbox, self.name, event,
                          partial(start_clock, default_hours=default_hours))
