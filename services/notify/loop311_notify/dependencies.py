"""What notify loads once per container, and its hourly digests."""
from nameko.extensions import DependencyProvider

from loop311_shared.background import BackgroundDrain
from loop311_shared.clock import utcnow
from loop311_shared.settings import settings_of
from loop311_shared.unit_of_work import run

from . import handlers
from .domain.messages import Messages, default_messages
from .settings import NotifySettings
from .unit_of_work import NotifyPolicy, NotifyUnitOfWork


class Templates(DependencyProvider):
    """Loads every message template when the container starts: a missing or broken one
    stops notify there, naming it, instead of failing a resident's message later."""

    def setup(self):
        self.messages = default_messages()

    def get_dependency(self, worker_ctx) -> Messages:
        return self.messages


class NotifyDrain(BackgroundDrain):
    """A background loop that runs notify handlers, each batch in a unit of work."""

    poll_setting = "mail_poll_seconds"

    def setup(self):
        super().setup()
        self.settings = settings_of(self.container, NotifySettings)
        self.policy = NotifyPolicy.from_settings(self.settings)

    def _unit_of_work(self, session) -> NotifyUnitOfWork:
        return NotifyUnitOfWork(session, None, sms=self.settings.sms_enabled,
                                policy=self.policy)


class DigestComposer(NotifyDrain):
    """Queues each digest once it is due: staff's hourly ones, area subscribers' daily."""

    def drain_once(self, session) -> int:
        now = utcnow()
        staff = run(self._unit_of_work(session), handlers.send_due_digests, now)
        return staff + run(self._unit_of_work(session), handlers.send_due_area_digests, now)


class BroadcastExpander(NotifyDrain):
    """Expands broadcasts into the ledger a batch per transaction, and marks them done
    once nothing of theirs is pending."""

    def drain_once(self, session) -> int:
        return run(self._unit_of_work(session), handlers.expand_broadcasts, utcnow())
