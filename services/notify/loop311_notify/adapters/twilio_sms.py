"""SMS through Twilio's Messages API with the official `twilio` library; its address is
configurable, so the local provider (devtools/sms_provider.py) stands in for it."""
import logging
from datetime import timedelta

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from loop311_shared.background import BackgroundDrain
from loop311_shared.clock import utcnow
from loop311_shared.settings import settings_of

from ..repository import LedgerRepository, OptOutRepository
from ..settings import NotifySettings
from .smtp import MAX_ATTEMPTS

log = logging.getLogger(__name__)


class SmsRefused(Exception):
    """The provider will never send this one (a number it rejects): do not retry."""


class SmsProvider:
    def __init__(self, settings):
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
        if settings.sms_base_url:
            self.client.api.base_url = settings.sms_base_url.rstrip("/")
        self.sender = settings.sms_from
        self.status_callback = f"{settings.notify_public_url.rstrip('/')}/sms/v1/status"

    def send(self, to: str, body: str) -> str:
        """The provider's message id; SmsRefused for a permanent refusal, anything else
        (429, 5xx, the network) to be retried."""
        try:
            message = self.client.messages.create(to=to, from_=self.sender, body=body,
                                                  status_callback=self.status_callback)
        except TwilioRestException as error:
            if 400 <= error.status < 500 and error.status != 429:
                raise SmsRefused(f"{error.status}: {error.msg}") from error
            raise
        return message.sid


def send_pending_texts(session, provider: SmsProvider, batch_size: int = 50) -> int:
    """Send due texts one per transaction, as the mailer sends emails: a crash resends at
    most the one in flight. A number that STOPped since it was queued gets nothing."""
    ledger, opt_outs = LedgerRepository(session), OptOutRepository(session)
    handled = 0
    try:
        while handled < batch_size:
            now = utcnow()
            claimed = ledger.claim_due_emails(now, 1, channel="sms")
            if not claimed:
                break
            row = claimed[0]
            if not opt_outs.may_text(row.recipient):
                ledger.mark_status(row.id, "opted_out")
            else:
                try:
                    sid = provider.send(row.recipient, row.body)
                except SmsRefused as refused:
                    log.warning("text %s refused by the provider: %s", row.id, refused)
                    ledger.mark_status(row.id, "failed", str(refused))
                except Exception as exc:  # 429, 5xx, the network: later, with backoff
                    attempts = row.attempts + 1
                    log.warning("text %s failed (attempt %d): %r", row.id, attempts, exc)
                    ledger.mark_attempt_failed(
                        row.id, attempts, repr(exc), given_up=attempts >= MAX_ATTEMPTS,
                        next_attempt_at=now + timedelta(seconds=2 ** attempts * 5))
                else:
                    ledger.mark_sent(row.id, row.attempts + 1, utcnow(), provider_id=sid)
            session.commit()
            handled += 1
    finally:
        session.rollback()
    return handled


class Texter(BackgroundDrain):
    """Sends the ledger's pending texts in the background, when an SMS provider is set."""

    poll_setting = "mail_poll_seconds"

    def setup(self):
        super().setup()
        settings = settings_of(self.container, NotifySettings)
        self.provider = SmsProvider(settings) if settings.sms_enabled else None

    def drain_once(self, session) -> int:
        return send_pending_texts(session, self.provider) if self.provider else 0
