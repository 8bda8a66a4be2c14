"""Sending the ledger's push messages: each row's recipient is a push subscription; the
platform's sender delivers it. A subscription the push service says is gone is forgotten,
with every subscription that used it."""
from loop311_shared.background import BackgroundDrain
from loop311_shared.clock import utcnow
from loop311_shared.settings import settings_of

from ..repository import PushRepository
from ..sending import Undeliverable, send_due
from ..settings import NotifySettings
from .pacing import Pacer
from .push import PushGone, PushRefused, push_senders
from .texting import idempotency_key


def send_pending_pushes(session, senders: dict, pacer=None, batch_size: int = 50) -> int:
    pushes = PushRepository(session)

    def deliver(row) -> str | None:
        subscription = pushes.get(row.recipient)
        if subscription is None:
            raise Undeliverable("failed", "the push subscription is gone")
        sender = senders.get(subscription.platform)
        if sender is None:
            raise Undeliverable("failed", f"no {subscription.platform} sender is configured")
        if pacer:
            pacer.wait()
        # The way out is never the link a tap opens (it would unsubscribe by accident): the
        # service worker offers it as its own action.
        payload = {"title": row.subject, "body": row.body,
                   "url": (row.values or {}).get("url") or "",
                   "unsubscribe": row.unsubscribe_url or ""}
        try:
            return sender.send(subscription, payload, idempotency_key(row.dedupe_key))
        except PushGone as gone:
            pushes.forget(subscription.id, utcnow())
            raise Undeliverable("failed", f"the push service forgot it: {gone}") from gone
        except PushRefused as refused:
            raise Undeliverable("failed", str(refused)) from refused

    # Anything else (429, 5xx, the network) is worth another try.
    return send_due(session, "push", deliver, (Exception,), batch_size)


class Pusher(BackgroundDrain):
    """Sends the ledger's pending push messages in the background, when a platform is set."""

    poll_setting = "mail_poll_seconds"
    wakes_on = ("deliveries",)

    def setup(self):
        super().setup()
        settings = settings_of(self.container, NotifySettings)
        self.senders = push_senders(settings)
        self.pacer = Pacer(settings.redis_url, "loop311:push-pace", settings.push_rate_per_second)

    def drain_once(self, session) -> int:
        return send_pending_pushes(session, self.senders, self.pacer) if self.senders else 0
