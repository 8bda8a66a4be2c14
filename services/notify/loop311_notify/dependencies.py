"""What notify loads once per container, its hourly digests, broadcasts and webhooks."""
import logging
from datetime import timedelta
from functools import partial

import requests
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider

from loop311_shared.background import BackgroundDrain
from loop311_shared.clock import utcnow
from loop311_shared.errors import DomainError
from loop311_shared.settings import settings_of
from loop311_shared.unit_of_work import run

from . import handlers
from .adapters.webhook_bindings import WebhookBindings
from .adapters.webhook_sender import Outcome, deliver
from .domain.messages import Messages, default_messages
from .domain.webhooks import RetrySchedule, targets_from
from .settings import NotifySettings
from .unit_of_work import NotifyPolicy, NotifyUnitOfWork

log = logging.getLogger(__name__)


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

    wakes_on = ("digest_items", "area_digest_items")

    def drain_once(self, session) -> int:
        now = utcnow()
        staff = run(self._unit_of_work(session), handlers.send_due_digests, now)
        return staff + run(self._unit_of_work(session), handlers.send_due_area_digests, now)


class BroadcastExpander(NotifyDrain):
    """Expands broadcasts into the ledger a batch per transaction, and marks them done
    once nothing of theirs is pending."""

    wakes_on = ("broadcasts",)

    def drain_once(self, session) -> int:
        return run(self._unit_of_work(session), handlers.expand_broadcasts, utcnow())


class WebhookDispatcher(NotifyDrain):
    """Delivers webhooks: one green thread per endpoint with due deliveries, so a slow or
    dead endpoint only ever waits on itself. Deliveries are leased in the database, so
    replicas share the work and a crashed one's leases run out and are delivered again
    (at least once; receivers deduplicate on webhook-id)."""

    poll_setting = "webhook_poll_seconds"
    wakes_on = ("webhook_deliveries",)
    batch = 20

    def setup(self):
        super().setup()
        self.schedule = RetrySchedule(
            tuple(float(seconds) for seconds in self.settings.webhook_retry_seconds),
            timedelta(hours=self.settings.webhook_disable_after_hours))
        self.timeout = self.settings.webhook_timeout_seconds
        self.targets = targets_from(self.settings, self.container.config[AMQP_URI_CONFIG_KEY])
        self.http = requests.Session()
        self.serving: set[str] = set()
        self.bindings = WebhookBindings(self.container.config[AMQP_URI_CONFIG_KEY],
                                        self.settings.queue_type)
        self.bindings_settled = False

    def start(self):
        super().start()
        self.wake.set()  # settle the bindings now, not a poll later

    def drain(self) -> int:
        if not self.bindings_settled:
            self.settle_bindings()
        with self.session() as session:
            due = run(self._unit_of_work(session), handlers.due_webhooks, utcnow())
        for webhook_id in due:
            if webhook_id not in self.serving:
                self.serving.add(webhook_id)
                self.container.spawn_managed_thread(partial(self._serve, webhook_id))
        return len(due)

    def settle_bindings(self) -> None:
        """The webhook queues bound as the webhooks want: when notify starts (undoing what
        a crash or an older release left), after a webhook is deleted or changed, and again
        on later passes until it works."""
        self.bindings_settled = False
        try:
            with self.session() as session:
                bound = run(self._unit_of_work(session), handlers.settle_webhook_bindings,
                            self.bindings)
        except Exception as error:  # the broker or the database away: deliveries go on
            log.warning("webhook queue bindings not settled yet (%s); trying again", error)
            return
        self.bindings_settled = True
        log.info("webhook queues bound for: %s", ", ".join(sorted(bound)) or "no event type")

    def _serve(self, webhook_id: str) -> None:
        try:
            while self.running and self._deliver_a_batch(webhook_id):
                pass
        except Exception:
            log.exception("webhook %s: delivering failed; will try again", webhook_id)
        finally:
            self.serving.discard(webhook_id)

    def _deliver_a_batch(self, webhook_id: str) -> bool:
        now = utcnow()
        # Long enough for a batch of time-outs; a dead replica's batch goes again after it.
        lease = timedelta(seconds=self.batch * self.timeout + 5)
        with self.session() as session:
            work = run(self._unit_of_work(session), handlers.lease_webhook_work,
                       (webhook_id, now, now + lease, self.batch))
        if work is None:
            return False
        webhook, due = work
        try:
            self.targets.check(webhook.url)  # again: what its name resolves to may change
            refused = None
        except DomainError as error:
            refused = str(error)
        for delivery in due:
            if not self.running:
                return False  # the lease runs out and the rest go again
            outcome = Outcome(None, refused, 0) if refused else deliver(
                self.http, webhook.url, webhook.secret, delivery.envelope, self.timeout)
            with self.session() as session:
                run(self._unit_of_work(session), handlers.record_webhook_outcome,
                    (webhook_id, delivery, outcome, self.schedule))
        return True
