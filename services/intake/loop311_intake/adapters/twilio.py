"""Twilio's side of the text channel: signed webhooks in (loop311_shared.twilio), TwiML
replies out."""
from twilio.twiml.messaging_response import MessagingResponse

from loop311_shared.twilio import check_signature  # noqa: F401 (the service's entrypoint uses it)


def twiml(text: str) -> str:
    response = MessagingResponse()
    response.message(text)
    return str(response)
