"""Idempotency keys (the `Idempotency-Key` header): a client that retries a POST it is not
sure went through gets the first answer back, and no second request is made."""
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow
from loop311_shared.errors import BadRequest, ClientError

from .models import idempotency_keys
from .submission import submit_request


class KeyReused(ClientError):
    status = 422


@dataclass(frozen=True)
class IdempotencyKey:
    client: str
    key: str
    fingerprint: str


def idempotency_key(header, api_key: str, fields: dict, attributes: dict) -> IdempotencyKey | None:
    if header is None:
        return None
    if not 1 <= len(header) <= 255:
        raise BadRequest("Idempotency-Key must be 1 to 255 characters")
    request = {name: value for name, value in fields.items() if name != "api_key"}
    canonical = json.dumps([request, attributes], sort_keys=True, default=str)
    return IdempotencyKey(
        client=hashlib.sha256(api_key.encode()).hexdigest(), key=header,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest())


def submit_once(session: Session, key: IdempotencyKey | None, fields: dict, attributes: dict,
                **options) -> tuple[dict, bool]:
    """Submit, or replay the answer to the first submission with this key.

    Returns the answer and whether it is a replay.
    """
    if key is None:
        return submit_request(session, fields, attributes, **options), False
    earlier = _earlier_answer(session, key)
    if earlier is not None:
        return earlier, True
    try:
        return submit_request(session, fields, attributes, remember=lambda answer: session.execute(
            insert(idempotency_keys).values(
                client=key.client, key=key.key, fingerprint=key.fingerprint, response=answer,
                created_at=utcnow())), **options), False
    except IntegrityError:
        # The same key raced us and won; its answer is committed now.
        session.rollback()
        earlier = _earlier_answer(session, key)
        if earlier is None:
            raise
        return earlier, True


def _earlier_answer(session, key):
    row = session.execute(select(idempotency_keys.c.fingerprint, idempotency_keys.c.response)
                          .where(idempotency_keys.c.client == key.client,
                                 idempotency_keys.c.key == key.key)).first()
    if row is None:
        return None
    if row.fingerprint != key.fingerprint:
        raise KeyReused("this Idempotency-Key was used for a different request")
    return row.response
