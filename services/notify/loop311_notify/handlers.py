"""notify's handlers, one per consumed event. They never commit (the unit of work does,
once) and know nothing of HTTP or SMTP: they queue messages in the ledger, which the
mailer (adapters/smtp.py) delivers."""
from loop311_contracts.envelope import Event
from loop311_shared.clock import utcnow

from .commands import SmsStatus
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
                             contact["phone"], contact["first_name"], contact["language"])
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
    for reporter in uow.ledger.reporters(request_id):
        channel = _channel(uow, reporter)
        # One message per event and recipient: a redelivered event finds it queued.
        key = f"{kind}:{request_id}:{event.id}:{reporter.contact_ref}:{channel}"
        if channel and not uow.ledger.has_delivery(key):
            _queue(uow, channel, key, kind, request_id, reporter, values)


def queue_confirmations(uow: NotifyUnitOfWork, request_id: str) -> None:
    """Queue one confirmation per reporter of the request who has not had one, once notify
    knows both the request and how to reach the reporter."""
    for reporter in uow.ledger.reporters(request_id):
        channel = _channel(uow, reporter)
        key = confirmation_key(request_id, reporter.contact_ref, channel)
        if not channel or uow.ledger.has_delivery(key):
            continue
        kind = "received" if reporter.contact_ref == reporter.first_reporter else "already_reported"
        _queue(uow, channel, key, kind, request_id, reporter, {})


def _channel(uow, reporter) -> str | None:
    """Email by default; a text to residents who gave only a phone (and did not STOP)."""
    if reporter.email:
        return "email"
    if reporter.phone and uow.sms and uow.opt_outs.may_text(reporter.phone):
        return "sms"
    return None


def _queue(uow, channel, key, kind, request_id, reporter, values) -> None:
    values = {"request_id": request_id, "service_name": reporter.service_name,
              "greeting": greeting(reporter.first_name, reporter.language), **values}
    if channel == "sms":
        text = uow.messages.sms(kind, reporter.language, values)
        uow.ledger.queue_delivery(key, request_id, "sms", reporter.phone, kind, text, utcnow(),
                                  kind=kind)
        return
    email = uow.messages.email(kind, reporter.language, values)
    uow.ledger.queue_delivery(key, request_id, "email", reporter.email, email.subject,
                              email.text, utcnow(), html=email.html, kind=kind)


def unsubscribe(uow: NotifyUnitOfWork, address: str) -> bool:
    return uow.ledger.unsubscribe(address.lower(), utcnow())


# Staff: new work, reminders and escalations reach the person routing or sla names.

def handle_staff_directory_recorded(uow: NotifyUnitOfWork, event: Event) -> None:
    if event.data["version"] > uow.staff.version():
        uow.staff.replace(event.data["version"], event.data["staff"])


def handle_request_assigned(uow: NotifyUnitOfWork, event: Event) -> None:
    data = event.data
    _tell_staff(uow, event, "staff_assigned", data["assignee_id"], {
        "service_code": data["service_code"], "why": f"assigned by rule {data['rule_id']}"})


def handle_request_reassigned(uow: NotifyUnitOfWork, event: Event) -> None:
    data = event.data
    if data["assignee_id"] != data["previous_assignee_id"]:
        _tell_staff(uow, event, "staff_assigned", data["assignee_id"], {
            "service_code": data["service_code"],
            "why": f"moved by {data['reassigned_by']}: {data['reason']}"})


def handle_sla_reminder_due(uow: NotifyUnitOfWork, event: Event) -> None:
    data = event.data
    _tell_staff(uow, event, "staff_reminder", data["assignee_id"], {
        "number": data["reminder_number"], "target": data["target"],
        "due_at": data["due_at"].strftime("%Y-%m-%d %H:%M UTC")})


def handle_sla_escalated(uow: NotifyUnitOfWork, event: Event) -> None:
    data = event.data
    _tell_staff(uow, event, "staff_escalated", data["responsible_id"], {
        "target": data["target"], "department": data["department_code"] or "",
        "role": data["responsible_role"]})


def _tell_staff(uow, event, kind: str, staff_id, values: dict) -> None:
    person = uow.staff.person(staff_id)
    if person is None or not person.email:
        return  # nobody named, or no address: the department's queue shows it
    request_id = event.data["request_id"]
    email = uow.messages.email(kind, None, {"request_id": request_id,
                                            "greeting": greeting(person.name, None), **values})
    key = f"{kind}:{request_id}:{event.id}:{person.id}:email"
    if not uow.ledger.has_delivery(key):
        uow.ledger.queue_delivery(key, request_id, "email", person.email, email.subject,
                                  email.text, utcnow(), html=email.html, kind=kind)


def record_sms_status(uow: NotifyUnitOfWork, status: SmsStatus) -> bool:
    """The provider's word on a text: delivered, or failed (undelivered, failed)."""
    outcome = "delivered" if status.status == "delivered" else \
        "failed" if status.status in ("undelivered", "failed") else None
    return outcome is not None and uow.ledger.record_provider_status(status.provider_id, outcome)
