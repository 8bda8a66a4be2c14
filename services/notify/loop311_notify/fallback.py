"""A text that cannot be delivered goes by email when its recipient gave an address."""
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow

from .domain.messages import Messages
from .repository import LedgerRepository, StaffRepository


def queue_email_instead(session: Session, messages: Messages, row) -> bool:
    """Queue the email version of the failed text `row` (same kind, values and language);
    False when there is no address or it is queued already."""
    if row.channel != "sms" or not (row.kind and row.values and row.contact_ref):
        return False
    ledger = LedgerRepository(session)
    if row.contact_ref.startswith("staff:"):
        person = StaffRepository(session).person(row.contact_ref.removeprefix("staff:"))
        address = person.email if person else None
    else:
        recipient = ledger.recipient(row.contact_ref)
        address = recipient.email if recipient else None
    key = f"fallback:{row.dedupe_key}"[:200]
    if not address or ledger.has_delivery(key):
        return False
    email = messages.email(row.kind, row.language, row.values)
    ledger.queue_delivery(key, row.request_id, "email", address, email.subject, email.text,
                          utcnow(), html=email.html, kind=row.kind, contact_ref=row.contact_ref,
                          language=row.language, values=row.values)
    return True
