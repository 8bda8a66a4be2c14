"""notify's entrypoints: events in, to their handlers; the mailer sends what they queue."""
from pathlib import Path

from loop311_shared.db import Database
from loop311_shared.messaging import handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints
from loop311_shared.settings import SettingsProvider
from loop311_shared.unit_of_work import apply_once

from . import handlers
from .adapters.smtp import Mailer
from .settings import NotifySettings
from .unit_of_work import NotifyUnitOfWork


class NotifyService(OperationalEndpoints):
    name = "notify"

    database = Database(Path(__file__).parent / "migrations")
    settings = SettingsProvider(NotifySettings)
    mailer = Mailer("database")
    metrics = Metrics()

    @handle_event("request_created")
    def handle_request_created(self, event):
        return apply_once(NotifyUnitOfWork(self.database, self.name), event,
                          handlers.handle_request_created)

    @handle_event("resident_contact_recorded")
    def handle_resident_contact_recorded(self, event):
        return apply_once(NotifyUnitOfWork(self.database, self.name), event,
                          handlers.handle_resident_contact_recorded)

    @handle_event("resident_opted_out")
    def handle_resident_opted_out(self, event):
        return apply_once(NotifyUnitOfWork(self.database, self.name), event,
                          handlers.handle_resident_opted_out)
