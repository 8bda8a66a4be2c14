"""The one writer of Idempotency-Key records: the first answer given to each key."""
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow

from ..errors import KeyReused
from ..models import idempotency_keys


class IdempotencyRepository:
    def __init__(self, session: Session):
        self.session = session

    def earlier_answer(self, key) -> dict | None:
        """The answer given to this key before, or None; KeyReused for another request."""
        row = self.session.execute(
            select(idempotency_keys.c.fingerprint, idempotency_keys.c.response)
            .where(idempotency_keys.c.client == key.client, idempotency_keys.c.key == key.key)
        ).first()
        if row is None:
            return None
        if row.fingerprint != key.fingerprint:
            raise KeyReused("this Idempotency-Key was used for a different request")
        return row.response

    def remember(self, key, answer: dict) -> None:
        self.session.execute(insert(idempotency_keys).values(
            client=key.client, key=key.key, fingerprint=key.fingerprint, response=answer,
            created_at=utcnow()))
