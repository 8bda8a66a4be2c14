"""Queue one confirmation email per reporter of a request once notify knows both the
request and the reporter's address; they arrive as separate events, in either order.
Residents whose report joined an open request (followers) are confirmed too."""
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
        first_name=contact["first_name"], request_id=contact["request_id"]))
    queue_confirmation(session, contact["request_id"])


def queue_confirmation(session: Session, request_id: str) -> None:
    reporters = session.execute(
        select(known_requests.c.service_name, known_requests.c.contact_ref.label("first_reporter"),
               recipients.c.contact_ref, recipients.c.email, recipients.c.first_name)
        .join(recipients, recipients.c.request_id == known_requests.c.request_id)
        .where(known_requests.c.request_id == request_id, recipients.c.email.is_not(None))
    ).all()
    for reporter in reporters:
        dedupe_key = f"confirmation:{request_id}:{reporter.contact_ref}:email"
        if session.execute(select(deliveries.c.id)
                           .where(deliveries.c.dedupe_key == dedupe_key)).first():
            continue
        now = utcnow()
        greeting = f"Hello {reporter.first_name}," if reporter.first_name else "Hello,"
        if reporter.contact_ref == reporter.first_reporter:
            news = f"Your service request number is {request_id} ({reporter.service_name})."
        else:
            news = (f"Another resident reported this first: your report joins service request "
                    f"{request_id} ({reporter.service_name}).")
        session.execute(insert(deliveries).values(
            dedupe_key=dedupe_key, request_id=request_id, channel="email",
            recipient=reporter.email,
            subject=f"We received your request #{request_id}: {reporter.service_name}",
            body=(f"{greeting}\n\nThank you for your report. {news}\n"
                  "We will let you know when it is resolved.\n"),
            status="pending", attempts=0, created_at=now, next_attempt_at=now,
        ))
