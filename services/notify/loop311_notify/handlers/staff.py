"""Staff: new work, reminders (one by one or an hourly digest), escalations and "not
fixed" answers reach the person routing or sla names, by their channel."""
import json
from datetime import timedelta

from loop311_contracts.envelope import Event
from loop311_shared.clock import utcnow

from ..domain.messages import greeting
from ..domain.preferences import channel_for
from ..unit_of_work import NotifyUnitOfWork
from .queueing import queue_message


def handle_staff_directory_recorded(uow: NotifyUnitOfWork, event: Event) -> None:
    if event.data["version"] > uow.staff.version():
        uow.staff.replace(event.data["version"], event.data["staff"])


def handle_request_assigned(uow: NotifyUnitOfWork, event: Event) -> None:
    data = event.data
    uow.work.set_assignee(data["request_id"], data["assignee_id"], data["assigned_at"])
    _tell_staff(uow, event, "staff_assigned", data["assignee_id"], {
        "service_code": data["service_code"], "why": f"assigned by rule {data['rule_id']}"})


def handle_request_reassigned(uow: NotifyUnitOfWork, event: Event) -> None:
    data = event.data
    uow.work.set_assignee(data["request_id"], data["assignee_id"], data["reassigned_at"])
    if data["assignee_id"] != data["previous_assignee_id"]:
        _tell_staff(uow, event, "staff_assigned", data["assignee_id"], {
            "service_code": data["service_code"],
            "why": f"moved by {data['reassigned_by']}: {data['reason']}"})


def handle_sla_reminder_due(uow: NotifyUnitOfWork, event: Event) -> None:
    data = event.data
    values = {"number": data["reminder_number"], "target": data["target"],
              "due_at": data["due_at"].strftime("%Y-%m-%d %H:%M UTC")}
    person = uow.staff.person(data["assignee_id"])
    if person is not None and person.reminders == "hourly":
        # The digest for the hour this reminder falls in, sent when that hour is over.
        now = utcnow()
        hour_over = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        uow.work.staff_digests.add(person.id, data["request_id"],
                                   json.dumps({"request_id": data["request_id"], **values}),
                                   f"digest:{event.id}:{person.id}", hour_over)
        return
    _tell_staff(uow, event, "staff_reminder", data["assignee_id"], values)


def handle_sla_escalated(uow: NotifyUnitOfWork, event: Event) -> None:
    data = event.data
    _tell_staff(uow, event, "staff_escalated", data["responsible_id"], {
        "target": data["target"], "department": data["department_code"] or "",
        "role": data["responsible_role"]})


def handle_resident_rated(uow: NotifyUnitOfWork, event: Event) -> None:
    """A resident says it is not fixed: whoever is assigned hears it at once."""
    data = event.data
    if not data["not_fixed"]:
        return
    known = uow.ledger.service_name(data["request_id"]) or data["service_code"]
    _tell_staff(uow, event, "staff_not_fixed", uow.work.assignee(data["request_id"]),
                {"service_name": known, "score": data["score"] or ""})


def _tell_staff(uow, event, kind: str, staff_id, values: dict) -> None:
    person = uow.staff.person(staff_id)
    channel = staff_channel(uow, person)
    if channel is None:
        return  # nobody named, or no way to reach them: the department's queue shows it
    request_id = event.data["request_id"]
    key = f"{kind}:{request_id}:{event.id}:{person.id}:{channel}"
    if uow.ledger.has_delivery(key):
        return
    values = {"request_id": request_id, "greeting": greeting(person.name, None), **values}
    queue_message(uow, channel, key, kind, request_id, None, values, utcnow(),
                  contact_ref=f"staff:{person.id}",
                  address=person.phone if channel == "sms" else person.email)


def staff_channel(uow, person) -> str | None:
    if person is None:
        return None
    can_text = bool(person.phone and uow.sms and uow.opt_outs.may_text(person.phone))
    return channel_for(person.notify_by, person.email, can_text)


def send_due_digests(uow: NotifyUnitOfWork, now) -> int:
    """One message per person whose digest hour is over, listing its reminders."""
    queued = 0
    for staff_id in uow.work.staff_digests.owners_due(now):
        items = uow.work.staff_digests.take(staff_id, now)
        person = uow.staff.person(staff_id)
        channel = staff_channel(uow, person)
        if not items or channel is None:
            continue
        values = {"greeting": greeting(person.name, None),
                  "items": [json.loads(item.line) for item in items]}
        key = f"staff_digest:{staff_id}:{items[0].due_at:%Y%m%dT%H}:{items[0].id}"
        queue_message(uow, channel, key, "staff_digest", items[0].request_id, None, values, now,
                      contact_ref=f"staff:{staff_id}",
                      address=person.phone if channel == "sms" else person.email)
        queued += 1
    return queued
