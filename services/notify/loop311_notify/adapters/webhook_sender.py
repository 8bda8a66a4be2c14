"""One webhook delivery: a CloudEvents JSON body signed as Standard Webhooks say
(webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 with the whsec_ secret)."""
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import eventlet
import requests
from standardwebhooks.webhooks import Webhook

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    milliseconds: int

    @property
    def delivered(self) -> bool:
        return self.error is None  # every answer but a 2xx is an error


def signed_headers(secret: str, message_id: str, body: str, at: datetime) -> dict:
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, at, body),
            "content-type": CONTENT_TYPE, "user-agent": "Loop311-Webhooks/1"}


def deliver(http: requests.Session, url: str, secret: str, envelope: dict,
            timeout: float) -> Outcome:
    """POST once; redirects are not followed (the target was checked, its redirect not)."""
    body = json.dumps(envelope, separators=(",", ":"))
    headers = signed_headers(secret, envelope["id"], body, datetime.now(timezone.utc))
    started = time.monotonic()
    try:
        # The whole exchange, not only each read, must fit in `timeout`: an endpoint that
        # trickles its answer is as slow as one that never answers.
        with eventlet.Timeout(timeout):
            answer = http.post(url, data=body.encode(), headers=headers, timeout=timeout,
                               allow_redirects=False)
        status, error = answer.status_code, None if 200 <= answer.status_code < 300 else \
            f"answered {answer.status_code}"
    except eventlet.Timeout:
        status, error = None, f"no answer within {timeout:g} s"
    except requests.RequestException as failure:
        status, error = None, f"{type(failure).__name__}: {failure}"[:500]
    return Outcome(status, error, round((time.monotonic() - started) * 1000))
