"""SMS through Twilio's Messages API with the official `twilio` library; its address is
configurable, so the local provider (devtools/sms_provider.py) stands in for it."""
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from loop311_shared.background import BackgroundDrain
from loop311_shared.settings import settings_of

from ..repository import OptOutRepository
from ..sending import Undeliverable, send_due
from ..settings import NotifySettings


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
    """Send due texts (see sending.send_due). A number that STOPped since its text was
    queued gets nothing."""
    opt_outs = OptOutRepository(session)

    def deliver(row) -> str:
        if not opt_outs.may_text(row.recipient):
            raise Undeliverable("opted_out", "the number texted STOP")
        try:
            return provider.send(row.recipient, row.body)
        except SmsRefused as refused:
            raise Undeliverable("failed", str(refused)) from refused

    # Anything else (429, 5xx, the network) is worth another try.
    return send_due(session, "sms", deliver, (Exception,), batch_size)


class Texter(BackgroundDrain):
    """Sends the ledger's pending texts in the background, when an SMS provider is set."""

    poll_setting = "mail_poll_seconds"

    def setup(self):
        super().setup()
        settings = settings_of(self.container, NotifySettings)
        self.provider = SmsProvider(settings) if settings.sms_enabled else None

    def drain_once(self, session) -> int:
        return send_pending_texts(session, self.provider) if self.provider else 0
