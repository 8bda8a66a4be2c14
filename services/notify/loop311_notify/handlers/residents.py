"""What residents hear about their requests, their preferences, and what the SMS
provider says of a text. Handlers never commit (the unit of work does, once) and know
nothing of HTTP, SMTP or the SMS provider: they queue messages in the ledger."""
from loop311_contracts.envelope import Event
from loop311_shared.clock import utcnow
from loop311_shared.errors import Forbidden, NotFound, Unprocessable

from ..commands import SetPreferences, SmsStatus
from ..domain.confirmations import confirmation_key
from ..domain.messages import greeting
from ..domain.opt_outs import supersedes
from ..domain.preferences import NEVER_HELD, channel_for
from ..fallback import queue_email_instead
from ..unit_of_work import NotifyUnitOfWork
from .queueing import queue_message
from .subscriptions import alert_areas, queue_for_followers


def handle_request_created(uow: NotifyUnitOfWork, event: Event) -> None:
    """Remember the request, and confirm it to the reporters notify already knows.

    The request and its contact arrive on two queues, maybe at once: without the lock,
    each transaction would miss the other's uncommitted row and neither would queue mail.
    """
    request = event.data
    uow.ledger.lock_request(request["request_id"])
    uow.ledger.add_request(request["request_id"], request["service_name"], request["contact_ref"],
                           request["priority"])
    queue_confirmations(uow, request["request_id"])
    alert_areas(uow, request)


def handle_resident_contact_recorded(uow: NotifyUnitOfWork, event: Event) -> None:
    """Remember a reporter's contact, and confirm the request if notify knows it already.
    Residents whose report joined an open request (followers) are confirmed too."""
    contact = event.data
    uow.ledger.lock_request(contact["request_id"])
    uow.ledger.add_recipient(contact["contact_ref"], contact["request_id"], contact["email"],
                             contact["phone"], contact["first_name"], contact["language"],
                             contact["request_token"])
    queue_confirmations(uow, contact["request_id"])


def handle_resident_opted_out(uow: NotifyUnitOfWork, event: Event) -> None:
    """Keep the phone's latest STOP or START, even when they arrive out of order."""
    change = event.data
    recorded_at = uow.opt_outs.changed_at(change["phone"], for_update=True)
    if not supersedes(change["changed_at"], recorded_at):
        return  # a later STOP or START is already recorded
    uow.opt_outs.record(change["phone"], change["opted_out"], change["changed_at"])


def handle_request_status_changed(uow: NotifyUnitOfWork, event: Event) -> None:
    """Acknowledged, in progress, closed (with its resolution and note, and the satisfaction
    question), reopened: every reporter and follower of the request hears it."""
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
        # One message per event and recipient: a redelivered event finds it queued.
        _queue_for_resident(uow, reporter, kind, request_id, values,
                            key=lambda channel: f"{kind}:{request_id}:{event.id}:"
                                                f"{reporter.contact_ref}:{channel}")
    queue_for_followers(uow, event, kind, values)


def queue_confirmations(uow: NotifyUnitOfWork, request_id: str) -> None:
    """Queue one confirmation per reporter of the request who has not had one, once notify
    knows both the request and how to reach the reporter."""
    for reporter in uow.ledger.reporters(request_id):
        kind = "received" if reporter.contact_ref == reporter.first_reporter else "already_reported"
        _queue_for_resident(uow, reporter, kind, request_id, {},
                            key=lambda channel: confirmation_key(request_id, reporter.contact_ref,
                                                                 channel))


def _queue_for_resident(uow, reporter, kind, request_id, values, key) -> None:
    """On the channel the resident prefers (email by default, a text if that is all they
    gave), in their language, after their quiet hours unless it is urgent."""
    preference = uow.preferences.of(reporter.email, reporter.phone)
    can_text = bool(reporter.phone and uow.sms and uow.opt_outs.may_text(reporter.phone))
    channel = channel_for(preference and preference.channel, reporter.email, can_text)
    if channel is None or uow.ledger.has_delivery(key(channel)):
        return
    language = (preference and preference.language) or reporter.language
    now = utcnow()
    send_at = now
    quiet = uow.policy.quiet(preference)
    if quiet and kind not in NEVER_HELD and reporter.priority != "urgent":
        send_at = quiet.release_at(now)
    values = {"request_id": request_id, "service_name": reporter.service_name,
              "greeting": greeting(reporter.first_name, language), **values}
    if kind == "closed":
        values["rating_url"] = _rating_url(uow, request_id, reporter)
    queue_message(uow, channel, key(channel), kind, request_id, language, values, send_at,
           contact_ref=reporter.contact_ref,
           address=reporter.phone if channel == "sms" else reporter.email)


def _rating_url(uow, request_id, reporter) -> str:
    if not (uow.policy.intake_public_url and reporter.request_token):
        return ""
    return (f"{uow.policy.intake_public_url}/requests/v1/{request_id}/rating"
            f"?token={reporter.request_token}&contact={reporter.contact_ref}")


def unsubscribe(uow: NotifyUnitOfWork, address: str) -> bool:
    return uow.ledger.unsubscribe(address.lower(), utcnow())


PREFERENCE_FIELDS = ("channel", "language", "quiet_start", "quiet_end", "time_zone")


def set_preferences(uow: NotifyUnitOfWork, command: SetPreferences) -> dict:
    """A resident's channel, language and quiet hours, kept for every address of theirs on
    the request (the request's token is the proof; the address says which reporter)."""
    reporter = _proven_reporter(uow, command)
    if command.changes.get("channel") == "sms" and not reporter.phone:
        raise Unprocessable("texts need a phone number, and this report gave none")
    if command.changes.get("channel") == "email" and not reporter.email:
        raise Unprocessable("emails need an address, and this report gave none")
    values = {**_preferences(uow, reporter), **command.changes}
    for own in (reporter.email, reporter.phone):
        if own:
            uow.preferences.save(own, values, utcnow())
    return {"request_id": command.request_id, **values}


def preferences_of(uow: NotifyUnitOfWork, command: SetPreferences) -> dict:
    """What the resident chose so far (`command.changes` is ignored)."""
    return {"request_id": command.request_id,
            **_preferences(uow, _proven_reporter(uow, command))}


def _proven_reporter(uow, command: SetPreferences):
    reporters = uow.ledger.reporters_with_token(command.request_id, command.token)
    if not reporters:
        raise NotFound(f"no request {command.request_id!r} with that token")
    address = command.address.lower()
    reporter = next((r for r in reporters if address in ((r.email or "").lower(), r.phone)), None)
    if reporter is None:
        raise Forbidden("that address did not report this request")
    return reporter


def _preferences(uow, reporter) -> dict:
    current = uow.preferences.of(reporter.email, reporter.phone)
    return {name: getattr(current, name) if current else None for name in PREFERENCE_FIELDS}


def record_sms_status(uow: NotifyUnitOfWork, status: SmsStatus) -> bool:
    """The provider's word on a text: delivered, or failed (undelivered, failed), in which
    case the message goes by email to a resident who gave an address."""
    outcome = "delivered" if status.status == "delivered" else \
        "failed" if status.status in ("undelivered", "failed") else None
    if outcome is None:
        return False
    row = uow.ledger.record_provider_status(status.provider_id, outcome, utcnow())
    if row is not None and outcome == "failed" and row.status != "failed":
        queue_email_instead(uow.session, uow.messages, row)
    return row is not None
