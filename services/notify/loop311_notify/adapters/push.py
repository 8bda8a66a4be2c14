"""Push: Web Push (RFC 8030, payloads encrypted per RFC 8291, VAPID per RFC 8292) through
pywebpush, and the app stores' services, FCM HTTP v1 and APNs (HTTP/2, token auth). Each
sender's address is configurable, so the local push service stands in for all three."""
import base64
import json
import time
import uuid

import httpx
import jwt
import requests
from cryptography.hazmat.primitives import serialization
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import service_account
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from loop311_shared.errors import NotFound

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


class PushGone(Exception):
    """The push service no longer knows this subscription (404, 410): forget it."""


class PushRefused(Exception):
    """The push service will never take this message: do not retry."""


def _judge(status: int, says: str) -> None:
    """Raise for an answer that is not a success: gone, refused, or (429, 5xx) retry."""
    if status in (404, 410):
        raise PushGone(f"{status}: {says[:200]}")
    if 400 <= status < 500 and status != 429:
        raise PushRefused(f"{status}: {says[:200]}")
    if status >= 300:
        raise RuntimeError(f"push service answered {status}: {says[:200]}")


class WebPushSender:
    def __init__(self, settings):
        self.private_key = settings.vapid_private_key
        self.subject = settings.vapid_subject
        self.session = requests.Session()

    def send(self, subscription, payload: dict, key: str) -> str | None:
        try:
            answer = webpush(
                {"endpoint": subscription.address,
                 "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                data=json.dumps(payload), vapid_private_key=self.private_key,
                vapid_claims={"sub": self.subject}, ttl=86_400, timeout=15,
                # A message resent after a crash replaces the first one still queued at the
                # push service instead of arriving twice (RFC 8030's Topic).
                headers={"Topic": key[:32]}, requests_session=self.session)
        except WebPushException as error:
            if error.response is None:
                raise
            _judge(error.response.status_code, error.response.text)
            raise
        return answer.headers.get("Location")


class FcmSender:
    def __init__(self, settings):
        self.url = (f"{settings.fcm_base_url.rstrip('/')}/v1/projects/"
                    f"{settings.fcm_project_id}/messages:send")
        self.static_token = settings.fcm_access_token
        self.credentials = None
        if settings.fcm_credentials_file:
            self.credentials = service_account.Credentials.from_service_account_file(
                settings.fcm_credentials_file, scopes=[FCM_SCOPE])
        self.session = requests.Session()

    def _token(self) -> str:
        if self.credentials is None:
            return self.static_token
        if not self.credentials.valid:
            self.credentials.refresh(GoogleRequest())
        return self.credentials.token

    def send(self, subscription, payload: dict, key: str) -> str | None:
        answer = self.session.post(self.url, timeout=15, headers={
            "Authorization": f"Bearer {self._token()}"}, json={"message": {
                "token": subscription.address,
                "notification": {"title": payload["title"], "body": payload["body"]},
                "data": {"url": payload.get("url") or "", "key": key}}})
        _judge(answer.status_code, answer.text)
        return answer.json().get("name")


class ApnsSender:
    TOKEN_LIFETIME = 50 * 60  # APNs refuses provider tokens older than an hour

    def __init__(self, settings):
        self.base = settings.apns_base_url.rstrip("/")
        with open(settings.apns_key_file) as key_file:
            self.signing_key = key_file.read()
        self.key_id, self.team_id, self.topic = (settings.apns_key_id, settings.apns_team_id,
                                                 settings.apns_topic)
        # APNs speaks HTTP/2 only; over plain http (the local service) with prior knowledge.
        self.client = httpx.Client(http2=True, http1=not self.base.startswith("http:"),
                                   timeout=15)
        self._token, self._token_at = "", 0.0

    def _provider_token(self) -> str:
        if time.time() - self._token_at > self.TOKEN_LIFETIME:
            self._token_at = time.time()
            self._token = jwt.encode({"iss": self.team_id, "iat": int(self._token_at)},
                                     self.signing_key, algorithm="ES256",
                                     headers={"kid": self.key_id})
        return self._token

    def send(self, subscription, payload: dict, key: str) -> str | None:
        answer = self.client.post(
            f"{self.base}/3/device/{subscription.address}",
            json={"aps": {"alert": {"title": payload["title"], "body": payload["body"]}},
                  "url": payload.get("url") or ""},
            headers={"authorization": f"bearer {self._provider_token()}",
                     "apns-topic": self.topic, "apns-push-type": "alert",
                     "apns-id": str(uuid.UUID(key[:32])), "apns-collapse-id": key[:64]})
        _judge(answer.status_code, answer.text)
        return answer.headers.get("apns-id")


SENDERS = {"webpush": WebPushSender, "fcm": FcmSender, "apns": ApnsSender}


def push_senders(settings) -> dict:
    """A sender for each configured platform, by name."""
    return {platform: SENDERS[platform](settings) for platform in settings.push_platforms}


def vapid_public_key(settings) -> str:
    """The applicationServerKey a page passes to pushManager.subscribe (base64url)."""
    if not settings.vapid_private_key:
        raise NotFound("Web Push is not enabled here")
    key = Vapid02.from_string(settings.vapid_private_key)
    raw = key.public_key.public_bytes(serialization.Encoding.X962,
                                      serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
