from pathlib import Path

from loop311_shared.db import Database
from loop311_shared.inbox import apply_once
from loop311_shared.messaging import handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints

from .confirmations import remember_recipient, remember_request
from .mailer import Mailer
from .models import inbox
from .preferences import record_opt_out


class NotifyService(OperationalEndpoints):
    name = "notify"

    database = Database(Path(__file__).parent / "migrations")
    mailer = Mailer("database")
    metrics = Metrics()

    @handle_event("request_created")
    def handle_request_created(self, event):
        return apply_once(self.database, inbox, self.name, event, remember_request)

    @handle_event("resident_contact_recorded")
    def handle_resident_contact_recorded(self, event):
        return apply_once(self.database, inbox, self.name, event, remember_recipient)

    @handle_event("resident_opted_out")
    def handle_resident_opted_out(self, event):
        return apply_once(self.database, inbox, self.name, event, record_opt_out)
