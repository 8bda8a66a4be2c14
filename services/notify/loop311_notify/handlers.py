"""notify's handlers, one per consumed event. They never commit (the unit of work does,
once) and know nothing of HTTP or SMTP: they queue messages in the ledger, which the
mailer (adapters/smtp.py) delivers."""
from loop311_contracts.envelope import Event
from loop311_shared.clock import utcnow

from .domain.confirmations import confirmation_key
from .domain.messages import greeting
from .domain.opt_outs import supersedes
from .unit_of_work import NotifyUnitOfWork


def handle_request_created(uow: NotifyUnitOfWork, event: Event) -> None:
    """Remember the request, and confirm it to the reporters notify already knows.

    The request and its contact arrive on two queues, maybe at once: without the lock,
    each transaction would miss the other's uncommitted row and neither would queue mail.
    """
    request = event.data
    uow.ledger.lock_request(request["request_id"])
    uow.ledger.add_request(request["request_id"], request["service_name"], request["contact_ref"])
    queue_confirmations(uow, request["request_id"])


def handle_resident_contact_recorded(uow: NotifyUnitOfWork, event: Event) -> None:
    """Remember a reporter's contact, and confirm the request if notify knows it already.
    Residents whose report joined an open request (followers) are confirmed too."""
    contact = event.data
    uow.ledger.lock_request(contact["request_id"])
    uow.ledger.add_recipient(contact["contact_ref"], contact["request_id"], contact["email"],
                             contact["phone"], contact["first_name"])
    queue_confirmations(uow, contact["request_id"])


def handle_resident_opted_out(uow: NotifyUnitOfWork, event: Event) -> None:
    """Keep the phone's latest STOP or START, even when they arrive out of order."""
    change = event.data
    recorded_at = uow.opt_outs.changed_at(change["phone"], for_update=True)
    if not supersedes(change["changed_at"], recorded_at):
        return  # a later STOP or START is already recorded
    uow.opt_outs.record(change["phone"], change["opted_out"], change["changed_at"])


def handle_request_status_changed(uow: NotifyUnitOfWork, event: Event) -> None:
    """Acknowledged, in progress, closed (with its resolution and note), reopened: every
    reporter and follower of the request hears it."""
    data = event.data
    kind = "reopened" if data["previous_status"] == "closed" else data["status"]
    queue_update(uow, event, kind, {"resolution": data["resolution"] or "",
                                    "note": data["public_note"] or ""})


def handle_request_commented(uow: NotifyUnitOfWork, event: Event) -> None:
    """A public comment from staff reaches the residents; internal notes never do."""
    if event.data["visibility"] == "public":
        queue_update(uow, event, "commented", {"text": event.data["text"]})


def queue_update(uow: NotifyUnitOfWork, event: Event, kind: str, values: dict) -> None:
    request_id = event.data["request_id"]
    uow.ledger.lock_request(request_id)
    for reporter in uow.ledger.reporters_with_email(request_id):
        # One message per event and recipient: a redelivered event finds it queued.
        key = f"{kind}:{request_id}:{event.id}:{reporter.contact_ref}:email"
        if not uow.ledger.has_delivery(key):
            _queue_email(uow, key, kind, request_id, reporter, values)


def queue_confirmations(uow: NotifyUnitOfWork, request_id: str) -> None:
    """Queue one confirmation email per reporter of the request who has not had one, once
    notify knows both the request and the reporter's address."""
    for reporter in uow.ledger.reporters_with_email(request_id):
        key = confirmation_key(request_id, reporter.contact_ref)
        if uow.ledger.has_delivery(key):
            continue
        kind = "received" if reporter.contact_ref == reporter.first_reporter else "already_reported"
        _queue_email(uow, key, kind, request_id, reporter, {})


def _queue_email(uow, key, kind, request_id, reporter, values) -> None:
    email = uow.messages.email(kind, reporter.language, {
        "request_id": request_id, "service_name": reporter.service_name,
        "greeting": greeting(reporter.first_name, reporter.language), **values})
    uow.ledger.queue_delivery(key, request_id, "email", reporter.email, email.subject,
                              email.text, utcnow(), html=email.html, kind=kind)


def unsubscribe(uow: NotifyUnitOfWork, address: str) -> bool:
    return uow.ledger.unsubscribe(address.lower(), utcnow())
