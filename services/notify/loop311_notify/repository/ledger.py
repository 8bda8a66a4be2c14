"""The one writer of notify's tables: what it knows of requests and their reporters, the
delivery ledger, and residents' opt-outs."""
from datetime import datetime

from sqlalchemy import bindparam, case, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from loop311_shared.clock import as_utc
from loop311_shared.db import lock_for_transaction

from ..models import (
    assignees,
    deliveries,
    digest_items,
    early_sms_statuses,
    email_opt_outs,
    known_requests,
    opt_outs,
    preferences,
    recipients,
    staff,
)
from .due_items import DueItems


def _reachable():
    # EXISTS probes the opt-outs' key for each recipient; IN (SELECT …) in a select list
    # hashed the whole table, which only grows, on every call.
    opted_out = exists().where(email_opt_outs.c.email == func.lower(recipients.c.email))
    return (recipients.c.contact_ref,
            case((opted_out, None), else_=recipients.c.email).label("email"),
            recipients.c.phone, recipients.c.first_name, recipients.c.language,
            recipients.c.request_token)


# The statements run for every event and every message, built once: composing one cost
# more CPU than running it.
REPORTERS = (select(known_requests.c.service_name, known_requests.c.priority,
                    known_requests.c.contact_ref.label("first_reporter"), *_reachable())
             .join(recipients, recipients.c.request_id == known_requests.c.request_id)
             .where(known_requests.c.request_id == bindparam("request_id"))
             .order_by(recipients.c.contact_ref))
RECIPIENT = select(*_reachable()).where(recipients.c.contact_ref == bindparam("contact_ref"))
HAS_DELIVERY = select(deliveries.c.id).where(deliveries.c.dedupe_key == bindparam("dedupe_key"))
CLAIM_DUE = (select(deliveries)
             .where(deliveries.c.channel == bindparam("channel"),
                    deliveries.c.lane == bindparam("lane"), deliveries.c.status == "pending",
                    deliveries.c.next_attempt_at <= bindparam("now"))
             .order_by(deliveries.c.id).limit(bindparam("batch_size"))
             .with_for_update(skip_locked=True))
MARK_SENT = (update(deliveries).where(deliveries.c.id == bindparam("delivery_id"))
             .values(attempts=bindparam("attempts"), status="sent",
                     sent_at=bindparam("sent_at"), provider_id=bindparam("provider_id")))


class LedgerRepository:
    """Requests, reporters and the delivery ledger (one row per message)."""

    def __init__(self, session: Session):
        self.session = session

    def lock_request(self, request_id: str) -> None:
        """Serialise the transactions that may queue this request's confirmations."""
        lock_for_transaction(self.session, f"confirmation:{request_id}")

    def add_request(self, request_id: str, service_name: str, contact_ref: str | None,
                    priority: str = "normal") -> None:
        self.session.execute(insert(known_requests), {
            "request_id": request_id, "service_name": service_name, "contact_ref": contact_ref,
            "priority": priority})

    def add_recipient(self, contact_ref: str, request_id: str, email: str | None, phone: str | None,
                      first_name: str | None, language: str | None = None,
                      request_token: str | None = None) -> None:
        self.session.execute(insert(recipients), {
            "contact_ref": contact_ref, "email": email, "phone": phone, "first_name": first_name,
            "request_id": request_id, "language": language, "request_token": request_token})

    def reporters(self, request_id: str):
        """(service_name, priority, first_reporter, contact_ref, email, phone, first_name,
        language, request_token) of each reporter of a known request who can be reached,
        unsubscribed emails left out."""
        return self.session.execute(REPORTERS, {"request_id": request_id}).all()

    def recipient(self, contact_ref: str):
        """One reporter's contact (unsubscribed email left out), or None."""
        return self.session.execute(RECIPIENT, {"contact_ref": contact_ref}).first()

    def reporters_with_token(self, request_id: str, token: str | None):
        """The reporters of a request whose token is `token` (the proof residents show);
        every reporter when `token` is None."""
        query = select(recipients.c.contact_ref, recipients.c.email, recipients.c.phone).where(
            recipients.c.request_id == request_id)
        if token is not None:
            query = query.where(recipients.c.request_token == token)
        return self.session.execute(query).all()

    def service_name(self, request_id: str) -> str | None:
        return self.session.execute(select(known_requests.c.service_name)
                                    .where(known_requests.c.request_id == request_id)
                                    ).scalar_one_or_none()

    def has_delivery(self, dedupe_key: str) -> bool:
        return self.session.execute(HAS_DELIVERY, {"dedupe_key": dedupe_key}).first() is not None

    def queue_delivery(self, dedupe_key: str, request_id: str, channel: str, recipient: str,
                       subject: str, body: str, now: datetime, html: str | None = None,
                       kind: str | None = None, send_at: datetime | None = None,
                       contact_ref: str | None = None, language: str | None = None,
                       values: dict | None = None, lane: str = "direct",
                       unsubscribe_url: str | None = None) -> None:
        """Queue one message, to go at `send_at` (default: now)."""
        self.session.execute(insert(deliveries), {
            "dedupe_key": dedupe_key, "request_id": request_id, "channel": channel,
            "recipient": recipient, "subject": subject, "body": body, "html": html, "kind": kind,
            "status": "pending", "attempts": 0, "created_at": now,
            "next_attempt_at": send_at or now, "contact_ref": contact_ref, "language": language,
            "values": values, "lane": lane, "unsubscribe_url": unsubscribe_url})

    def queue_many(self, rows: list[dict]) -> int:
        """Queue many pending messages at once (a broadcast's batch); a row whose key is
        queued already, by this batch or an earlier one, is left out. Returns how many
        were queued. The caller holds the lock that makes it the only one adding these keys
        (a broadcast is expanded by one replica at a time)."""
        fresh: dict[str, dict] = {}
        for row in rows:
            fresh.setdefault(row["dedupe_key"], row)
        if fresh:
            queued = self.session.execute(select(deliveries.c.dedupe_key).where(
                deliveries.c.dedupe_key.in_(list(fresh)))).scalars()
            for key in queued:
                fresh.pop(key)
        if fresh:
            self.session.execute(insert(deliveries), [
                {"status": "pending", "attempts": 0, "html": None, "provider_id": None,
                 "sent_at": None, "last_error": None, **row} for row in fresh.values()])
        return len(fresh)

    def unsubscribe(self, email: str, at: datetime) -> bool:
        """Stop email to this address; False if it was stopped already."""
        if self.session.execute(select(email_opt_outs.c.email)
                                .where(email_opt_outs.c.email == email)).first():
            return False
        self.session.execute(insert(email_opt_outs).values(email=email, opted_out_at=at))
        return True

    def claim_due(self, now: datetime, batch_size: int, channel: str):
        """Pending messages of a channel due by `now`, oldest first, locked against other
        replicas: direct ones (about a request) before any bulk one (broadcasts, area
        alerts), so a broadcast never holds up the news of a request."""
        for lane in ("direct", "bulk"):
            claimed = self.session.execute(CLAIM_DUE, {"channel": channel, "lane": lane,
                                                       "now": now, "batch_size": batch_size}
                                           ).all()
            if claimed:
                return claimed
        return []

    def due_count(self, now: datetime, channel: str, at_most: int) -> int:
        """How many messages of a channel are due by `now`, counting no further than
        `at_most`."""
        due = (select(deliveries.c.id)
               .where(deliveries.c.channel == channel, deliveries.c.status == "pending",
                      deliveries.c.next_attempt_at <= now)
               .limit(at_most).subquery())
        return self.session.execute(select(func.count()).select_from(due)).scalar_one()

    def mark_sent(self, delivery_id: int, attempts: int, sent_at: datetime,
                  provider_id: str | None = None) -> None:
        self.session.execute(MARK_SENT, {"delivery_id": delivery_id, "attempts": attempts,
                                         "sent_at": sent_at, "provider_id": provider_id})

    def mark_status(self, delivery_id: int, status: str, error: str | None = None) -> None:
        self.session.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(
            status=status, last_error=error))

    def record_provider_status(self, provider_id: str, status: str, at: datetime):
        """The provider's delivered or failed for a sent text: the ledger row as it was.
        For an id not recorded yet (the callback beat the sender's commit) the status is
        kept for the sender to apply (take_early_status), and None returned."""
        # With take_early_status's lock: one of the two sees what the other committed.
        lock_for_transaction(self.session, f"sms-status:{provider_id}")
        row = self.session.execute(select(deliveries).where(
            deliveries.c.provider_id == provider_id, deliveries.c.channel == "sms",
            deliveries.c.status.in_(("sent", "delivered", "failed"))).with_for_update()).first()
        if row is None:
            self.session.execute(delete(early_sms_statuses).where(
                early_sms_statuses.c.provider_id == provider_id))
            self.session.execute(insert(early_sms_statuses).values(
                provider_id=provider_id, status=status, received_at=at))
            return None
        self.session.execute(update(deliveries).where(deliveries.c.id == row.id)
                             .values(status=status))
        return row

    def take_early_status(self, provider_id: str) -> str | None:
        """A status that came before the text was recorded as sent, if any (once). Call it
        after recording the text as sent, in the same transaction."""
        lock_for_transaction(self.session, f"sms-status:{provider_id}")
        status = self.session.execute(select(early_sms_statuses.c.status).where(
            early_sms_statuses.c.provider_id == provider_id)).scalar_one_or_none()
        if status is not None:
            self.session.execute(delete(early_sms_statuses).where(
                early_sms_statuses.c.provider_id == provider_id))
        return status

    def mark_attempt_failed(self, delivery_id: int, attempts: int, error: str, given_up: bool,
                            next_attempt_at: datetime) -> None:
        self.session.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(
            attempts=attempts, last_error=error[:2000],
            status="failed" if given_up else "pending", next_attempt_at=next_attempt_at))


class OptOutRepository:
    """Each phone's latest STOP or START."""

    def __init__(self, session: Session):
        self.session = session

    def changed_at(self, phone: str, for_update: bool = False) -> datetime | None:
        query = select(opt_outs.c.changed_at).where(opt_outs.c.phone == phone)
        if for_update:
            query = query.with_for_update()
        return self.session.execute(query).scalar_one_or_none()

    def may_text(self, phone: str) -> bool:
        """Whether a text message may be sent to `phone` (to be checked before every SMS)."""
        opted_out = self.session.execute(select(opt_outs.c.opted_out)
                                         .where(opt_outs.c.phone == phone)).scalar_one_or_none()
        return not opted_out

    def record(self, phone: str, opted_out: bool, changed_at: datetime) -> None:
        self.session.execute(delete(opt_outs).where(opt_outs.c.phone == phone))
        self.session.execute(insert(opt_outs).values(phone=phone, opted_out=opted_out,
                                                     changed_at=changed_at))


class StaffRepository:
    """The one writer of notify's copy of the staff directory."""

    def __init__(self, session: Session):
        self.session = session

    def version(self) -> int:
        return self.session.execute(
            select(func.coalesce(func.max(staff.c.directory_version), 0))).scalar_one()

    def replace(self, version: int, people: list[dict]) -> None:
        self.session.execute(delete(staff))
        if people:
            self.session.execute(insert(staff), [
                {"id": p["id"], "name": p["name"], "department_code": p["department"],
                 "email": p["email"], "phone": p["phone"], "directory_version": version,
                 "notify_by": p["notify_by"], "reminders": p["reminders"]}
                for p in people])

    def person(self, staff_id: str | None):
        if staff_id is None:
            return None
        return self.session.execute(select(staff).where(staff.c.id == staff_id)).first()


class PreferenceRepository:
    """Residents' choices of channel, language and quiet hours, by address."""

    def __init__(self, session: Session):
        self.session = session

    def of(self, *addresses: str | None):
        """The preferences kept for the first of these addresses that has any, or None."""
        wanted = [address.lower() for address in addresses if address]
        if not wanted:
            return None
        rows = {row.address: row for row in self.session.execute(
            select(preferences).where(preferences.c.address.in_(wanted)))}
        return next((rows[address] for address in wanted if address in rows), None)

    def save(self, address: str, values: dict, at: datetime) -> None:
        address = address.lower()
        self.session.execute(delete(preferences).where(preferences.c.address == address))
        self.session.execute(insert(preferences).values(address=address, updated_at=at, **values))


class WorkRepository:
    """Who is assigned each request, and staff reminders waiting for an hourly digest."""

    def __init__(self, session: Session):
        self.session = session
        self.staff_digests = DueItems(session, digest_items, "staff_id")

    def set_assignee(self, request_id: str, assignee_id: str | None, at: datetime) -> None:
        """Keep the latest assignment, whatever order the events arrive in."""
        kept = self.session.execute(select(assignees.c.assigned_at)
                                    .where(assignees.c.request_id == request_id)
                                    .with_for_update()).scalar_one_or_none()
        if kept is not None and as_utc(kept) >= as_utc(at):
            return
        self.session.execute(delete(assignees).where(assignees.c.request_id == request_id))
        self.session.execute(insert(assignees).values(request_id=request_id,
                                                      assignee_id=assignee_id, assigned_at=at))

    def assignee(self, request_id: str) -> str | None:
        return self.session.execute(select(assignees.c.assignee_id)
                                    .where(assignees.c.request_id == request_id)
                                    ).scalar_one_or_none()
