"""Residents' opt-outs, kept in order even when STOP and START arrive out of order."""
from datetime import timezone

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from loop311_shared.envelope import Event

from .models import opt_outs


def record_opt_out(session: Session, event: Event) -> None:
    change = event.data
    current = session.execute(select(opt_outs.c.changed_at)
                              .where(opt_outs.c.phone == change["phone"])
                              .with_for_update()).scalar_one_or_none()
    if current is not None and _aware(current) >= change["changed_at"]:
        return  # a later STOP or START is already recorded
    session.execute(delete(opt_outs).where(opt_outs.c.phone == change["phone"]))
    session.execute(insert(opt_outs).values(phone=change["phone"], opted_out=change["opted_out"],
                                            changed_at=change["changed_at"]))


def may_text(session: Session, phone: str) -> bool:
    """Whether a text message may be sent to `phone` (to be checked before every SMS)."""
    opted_out = session.execute(select(opt_outs.c.opted_out)
                                .where(opt_outs.c.phone == phone)).scalar_one_or_none()
    return not opted_out


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
