"""Twilio's side of the text channel: signed webhooks in, TwiML replies out."""
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from loop311_shared.errors import Forbidden


def check_signature(auth_token: str, url: str, params: dict, signature) -> None:
    if not auth_token:
        raise Forbidden("text messages are not accepted: TWILIO_AUTH_TOKEN is not set")
    if not signature or not RequestValidator(auth_token).validate(url, params, signature):
        raise Forbidden("X-Twilio-Signature is missing or does not match")


def twiml(text: str) -> str:
    response = MessagingResponse()
    response.message(text)
    return str(response)
