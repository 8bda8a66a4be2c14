"""Twilio's webhook signatures (X-Twilio-Signature), checked the same way wherever Twilio
calls us: inbound texts at intake, delivery status callbacks at notify."""
from twilio.request_validator import RequestValidator

from .errors import Forbidden


def check_signature(auth_token: str, url: str, params: dict, signature) -> None:
    if not auth_token:
        raise Forbidden("Twilio webhooks are not accepted: TWILIO_AUTH_TOKEN is not set")
    if not signature or not RequestValidator(auth_token).validate(url, params, signature):
        raise Forbidden("X-Twilio-Signature is missing or does not match")
