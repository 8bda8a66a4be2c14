"""The generic SMS adapter: one JSON POST per text, for providers other than Twilio.

    POST {SMS_HTTP_URL}   Authorization: Bearer {SMS_HTTP_TOKEN}
                          Idempotency-Key: <the same for every attempt at one message>
    {"to": "+1727…", "from": "+1727…", "body": "…", "status_callback": "https://…"}
    → 2xx {"id": "…"}

Its status callbacks come back to /sms/v1/status/http as JSON {"id", "status"}, signed
with X-Loop311-Signature: hex HMAC-SHA256 of the raw body under the same token.
"""
import hashlib
import hmac

import requests

from ..sending import SmsRefused


class HttpSmsProvider:
    def __init__(self, settings):
        self.url = settings.sms_http_url
        self.token = settings.sms_http_token
        self.sender = settings.sms_from
        self.status_callback = f"{settings.notify_public_url.rstrip('/')}/sms/v1/status/http"
        self.session = requests.Session()

    def send(self, to: str, body: str, idempotency_key: str) -> str:
        answer = self.session.post(self.url, timeout=15, json={
            "to": to, "from": self.sender, "body": body, "status_callback": self.status_callback,
        }, headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": idempotency_key})
        if 400 <= answer.status_code < 500 and answer.status_code != 429:
            raise SmsRefused(f"{answer.status_code}: {answer.text[:200]}")
        answer.raise_for_status()  # 429 and 5xx: tried again later
        return str(answer.json()["id"])


def signature(token: str, body: bytes) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def signed_by(token: str, body: bytes, given: str | None) -> bool:
    return bool(token and given) and hmac.compare_digest(signature(token, body), given)
