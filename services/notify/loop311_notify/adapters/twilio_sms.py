"""SMS through Twilio's Messages API with the official `twilio` library; its address is
configurable, so the local provider (devtools/sms_provider.py) stands in for it."""
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from ..sending import SmsRefused


class TwilioSmsProvider:
    def __init__(self, settings):
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
        if settings.sms_base_url:
            self.client.api.base_url = settings.sms_base_url.rstrip("/")
        self.sender = settings.sms_from
        self.status_callback = f"{settings.notify_public_url.rstrip('/')}/sms/v1/status"

    def send(self, to: str, body: str, idempotency_key: str) -> str:
        """The provider's message id; SmsRefused for a permanent refusal, anything else
        (429, 5xx, the network) to be retried. Twilio's Messages API takes no idempotency
        key, so a text resent after a crash cannot be dropped by Twilio (see the README)."""
        try:
            message = self.client.messages.create(to=to, from_=self.sender, body=body,
                                                  status_callback=self.status_callback)
        except TwilioRestException as error:
            if 400 <= error.status < 500 and error.status != 429:
                raise SmsRefused(f"{error.status}: {error.msg}") from error
            raise
        return message.sid
