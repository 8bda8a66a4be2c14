"""Sending the ledger's due messages of one channel, one message per transaction: each is
claimed (SKIP LOCKED), handed to the channel's adapter, marked, and committed before the
next is claimed. A crash resends at most the one message in flight, never loses one, and
another replica never takes a message this one holds."""
import logging
from datetime import timedelta
from typing import Callable

from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow

from .repository import LedgerRepository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


class SmsRefused(Exception):
    """The SMS provider will never send this one (a number it rejects): do not retry."""


class Undeliverable(Exception):
    """This message will never go: record `status` (and why) instead of retrying."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status


def send_due(session: Session, channel: str, deliver: Callable[[object], str | None],
             retry_on: tuple[type[BaseException], ...], batch_size: int = 50,
             on_failed: Callable[[object], object] | None = None,
             on_sent: Callable[[object, str | None], object] | None = None) -> int:
    """`deliver(row)` sends one ledger row and returns the provider's id for it (or None);
    it raises Undeliverable to give up, or one of `retry_on` to try again later with
    backoff (after MAX_ATTEMPTS attempts the message is marked failed). Any other error is
    logged with its traceback and retried the same way, so one message that cannot be
    sent never stops the rest; but Redis being down (the pacer) stops the pass without
    counting an attempt. `on_failed(row)` runs, in the same transaction, for a message
    marked failed; `on_sent(row, provider_id)` for one marked sent."""
    ledger = LedgerRepository(session)
    handled = 0
    try:
        while handled < batch_size:
            now = utcnow()
            claimed = ledger.claim_due(now, 1, channel)
            if not claimed:
                break
            row = claimed[0]
            try:
                provider_id = deliver(row)
            except Undeliverable as refused:
                log.warning("%s %s not sent: %s", channel, row.id, refused)
                ledger.mark_status(row.id, refused.status, str(refused))
                if refused.status == "failed" and on_failed:
                    on_failed(row)
            except RedisError:
                raise  # the pacer's store is down, not this message: the pass stops, no attempt
            except Exception as exc:
                attempts = row.attempts + 1
                if isinstance(exc, retry_on):
                    log.warning("%s %s failed (attempt %d): %r", channel, row.id, attempts, exc)
                else:  # our fault, with this one message: it must not hold up the others
                    log.exception("%s %s could not be sent (attempt %d)", channel, row.id,
                                  attempts)
                given_up = attempts >= MAX_ATTEMPTS
                ledger.mark_attempt_failed(row.id, attempts, repr(exc), given_up=given_up,
                                           next_attempt_at=now + timedelta(seconds=2 ** attempts * 5))
                if given_up and on_failed:
                    on_failed(row)
            else:
                ledger.mark_sent(row.id, row.attempts + 1, utcnow(), provider_id=provider_id)
                if on_sent:
                    on_sent(row, provider_id)
            session.commit()
            handled += 1
    finally:
        session.rollback()
    return handled
