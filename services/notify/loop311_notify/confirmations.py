"""Queue one confirmation email per request once notify knows both the request and its
reporter's address; the two arrive as separate events, in either order."""
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow
from loop311_shared.db import lock_for_transaction
from loop311_shared.envelope import Event

from .models import deliveries, known_requests, recipients


def remember_request(session: Session, event: Event) -> None:
    request = event.data
    # The request and its contact arrive on two queues, maybe at once: without the lock,
    # each transaction would miss the other's uncommitted row and neither would queue mail.
    lock_for_transaction(session, f"confirmation:{request['request_id']}")
    session.execute(insert(known_requests).values(
        request_id=request["request_id"], service_name=request["service_name"],
        contact_ref=request["contact_ref"]))
    queue_confirmation(session, request["request_id"])


def remember_recipient(session: Session, event: Event) -> None:
    contact = event.data
    lock_for_transaction(session, f"confirmation:{contact['request_id']}")
    session.execute(insert(recipients).values(
        contact_ref=contact["contact_ref"], email=contact["email"], phone=contact["phone"],
        first_name=contact["first_name"]))
    queue_confirmation(session, contact["request_id"])


def queue_confirmation(session: Session, request_id: str) -> None:
    row = session.execute(
        select(known_requests.c.service_name, recipients.c.email, recipients.c.first_name)
        .join(recipients, recipients.c.contact_ref == known_requests.c.contact_ref)
        .where(known_requests.c.request_id == request_id)
    ).first()
    if row is None or not row.email:
        return
    dedupe_key = f"confirmation:{request_id}:email"
    if session.execute(select(deliveries.c.id).where(deliveries.c.dedupe_key == dedupe_key)).first():
        return
    now = utcnow()
    greeting = f"Hello {row.first_name}," if row.first_name else "Hello,"
    session.execute(insert(deliveries).values(
        dedupe_key=dedupe_key, request_id=request_id, channel="email", recipient=row.email,
        subject=f"We received your request #{request_id}: {row.service_name}",
        body=(f"{greeting}\n\nThank you for your report. Your service request number is "
              f"{request_id} ({row.service_name}).\nWe will let you know when it is resolved.\n"),
        status="pending", attempts=0, created_at=now, next_attempt_at=now,
    ))
