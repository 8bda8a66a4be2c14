"""Sending the ledger's texts: through the configured provider, at the shared pace, and by
email instead when a text cannot be delivered."""
import hashlib

from loop311_shared.background import BackgroundDrain
from loop311_shared.settings import settings_of

from ..domain.messages import default_messages
from ..fallback import queue_email_instead
from ..repository import LedgerRepository, OptOutRepository
from ..sending import SmsRefused, Undeliverable, send_due
from ..settings import NotifySettings
from .http_sms import HttpSmsProvider
from .pacing import Pacer
from .twilio_sms import TwilioSmsProvider


def idempotency_key(dedupe_key: str) -> str:
    """The same for every attempt at one ledger message, like an email's Message-ID."""
    return hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]


def send_pending_texts(session, provider, pacer=None, messages=None, batch_size: int = 50) -> int:
    """Send due texts (see sending.send_due). A number that STOPped since its text was
    queued gets nothing; one the provider refuses gets the email version, if it can."""
    opt_outs, ledger = OptOutRepository(session), LedgerRepository(session)
    messages = messages or default_messages()

    def deliver(row) -> str:
        if not opt_outs.may_text(row.recipient):
            raise Undeliverable("opted_out", "the number texted STOP")
        if pacer:
            pacer.wait()
        try:
            return provider.send(row.recipient, row.body, idempotency_key(row.dedupe_key))
        except SmsRefused as refused:
            raise Undeliverable("failed", str(refused)) from refused

    def apply_early_status(row, provider_id) -> None:
        status = ledger.take_early_status(provider_id) if provider_id else None
        if status is not None:
            ledger.mark_status(row.id, status)
            if status == "failed":
                queue_email_instead(session, messages, row)

    # Anything else (429, 5xx, the network, Redis) is worth another try.
    return send_due(session, "sms", deliver, (Exception,), batch_size,
                    on_failed=lambda row: queue_email_instead(session, messages, row),
                    on_sent=apply_early_status)


def sms_provider(settings: NotifySettings):
    """The configured provider, or None when texts are off."""
    if not settings.sms_enabled:
        return None
    if settings.sms_provider == "http":
        return HttpSmsProvider(settings)
    return TwilioSmsProvider(settings)


class Texter(BackgroundDrain):
    """Sends the ledger's pending texts in the background, when an SMS provider is set."""

    poll_setting = "mail_poll_seconds"
    wakes_on = ("deliveries",)

    def setup(self):
        super().setup()
        settings = settings_of(self.container, NotifySettings)
        self.provider = sms_provider(settings)
        self.pacer = Pacer(settings.redis_url, f"loop311:sms-pace:{settings.sms_provider}:"
                           f"{settings.sms_from}", settings.sms_rate_per_second)

    def drain_once(self, session) -> int:
        return send_pending_texts(session, self.provider, self.pacer) if self.provider else 0
