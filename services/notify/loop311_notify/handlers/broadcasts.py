"""Broadcasts: an announcement to a topic's or an area's subscribers, on each one's
channel and in their language. It is expanded into the ledger in batches (the broadcast's
cursor and the batch commit together, so a restart resumes and nobody is queued twice),
sent in the bulk lane behind any message about a request, and can be cancelled."""
import hashlib
import uuid
from datetime import datetime

from loop311_shared.clock import iso, utcnow
from loop311_shared.errors import Conflict, Invalid, NotFound, Unprocessable

from ..commands import ImportTopics, StartBroadcast
from ..domain.areas import Area, AreaProblem
from ..domain.messages import MAX_SEGMENTS, segments
from ..unit_of_work import NotifyUnitOfWork
from .subscriptions import unsubscribe_url

BATCH = 1000


def import_topics(uow: NotifyUnitOfWork, command: ImportTopics) -> dict:
    codes = [topic["code"] for topic in command.document["topics"]]
    if len(codes) != len(set(codes)):
        raise Invalid("topics: each code once")
    version = uow.topics.record_import(command.document, command.author)
    return {**version, "summary": f"{len(codes)} topics"}


def start_broadcast(uow: NotifyUnitOfWork, command: StartBroadcast) -> dict:
    if command.topic is not None and command.topic not in uow.topics.topics():
        raise Unprocessable(f"unknown topic {command.topic!r}")
    area = None
    if command.area is not None:
        try:
            area = Area.from_document(command.area).document()
        except AreaProblem as problem:
            raise Invalid(str(problem)) from None
    # The way out each text carries is this long (a UUID and a 16-character token).
    way_out = unsubscribe_url(uow, "u" * 36, "t" * 16)
    for language in command.message:
        text = uow.messages.sms("broadcast", language, {
            "title": command.title.get(language) or command.title["en"],
            "message": command.message[language], "unsubscribe_url": way_out})
        if segments(text) > MAX_SEGMENTS:
            raise Invalid(f"message.{language} is too long for a text: {segments(text)} "
                          f"segments with its title and way out; at most {MAX_SEGMENTS}")
    broadcast_id = str(uuid.uuid4())
    uow.broadcasts.add(id=broadcast_id, topic=command.topic, area=area, title=command.title,
                       message=command.message, status="expanding", created_by=command.author,
                       created_at=utcnow())
    return {"id": broadcast_id, "status": "expanding"}


def expand_broadcasts(uow: NotifyUnitOfWork, now: datetime) -> int:
    """Queue the next batch of one broadcast's audience; 0 when there is nothing to do."""
    broadcast = uow.broadcasts.claim_expanding()
    if broadcast is None:
        return _finish_sent(uow, now)
    target = Area.from_stored(broadcast.area) if broadcast.area else None
    batch = uow.subscriptions.audience_batch(broadcast.topic,
                                             target.bounds() if target else None,
                                             broadcast.cursor, BATCH)
    rendered = Rendered(uow, broadcast)
    rows = [rendered.row(subscription, unsubscribe_url(uow, subscription.id, subscription.token),
                         now)
            for subscription in batch if target is None or _inside(target, subscription)]
    queued = uow.ledger.queue_many(rows)
    if len(batch) < BATCH:
        uow.broadcasts.set_status(broadcast.id, "sending")
    uow.broadcasts.advance(broadcast.id, batch[-1].id if batch else broadcast.cursor, queued)
    return 1


def broadcast_report(uow: NotifyUnitOfWork, broadcast_id: str) -> dict:
    broadcast = uow.broadcasts.get(broadcast_id)
    if broadcast is None:
        raise NotFound(f"no broadcast {broadcast_id!r}")
    by_channel = uow.broadcasts.delivery_counts(broadcast_id)
    totals: dict[str, int] = {}
    for counts in by_channel.values():
        for status, count in counts.items():
            totals[status] = totals.get(status, 0) + count
    return {"id": broadcast.id, "status": broadcast.status, "topic": broadcast.topic,
            "area": broadcast.area, "recipients": broadcast.recipients,
            "created_by": broadcast.created_by, "created_at": iso(broadcast.created_at),
            "finished_at": iso(broadcast.finished_at),
            "totals": totals, "by_channel": by_channel}


def cancel_broadcast(uow: NotifyUnitOfWork, broadcast_id: str) -> dict:
    broadcast = uow.broadcasts.get(broadcast_id, for_update=True)
    if broadcast is None:
        raise NotFound(f"no broadcast {broadcast_id!r}")
    if broadcast.status in ("done", "cancelled"):
        raise Conflict(f"the broadcast is {broadcast.status} already")
    uow.broadcasts.set_status(broadcast_id, "cancelled", utcnow())
    cancelled = uow.broadcasts.cancel_pending(broadcast_id)
    return {"id": broadcast_id, "status": "cancelled", "not_sent": cancelled}


def _finish_sent(uow, now) -> int:
    for broadcast_id in uow.broadcasts.unfinished_sending():
        if uow.broadcasts.pending_count(broadcast_id) == 0:
            uow.broadcasts.set_status(broadcast_id, "done", now)
    return 0


def _inside(target: Area, subscription) -> bool:
    south, north, west, east = (subscription.min_lat, subscription.max_lat,
                                subscription.min_long, subscription.max_long)
    return target.contains((south + north) / 2, (west + east) / 2)


class Rendered:
    """A broadcast's words rendered once per language, with a stand-in for each
    subscriber's own way out (the only part that differs between their messages)."""

    WAY_OUT = "@@unsubscribe-url@@"

    def __init__(self, uow, broadcast):
        self.broadcast = broadcast
        self.by_language = {}
        for language in broadcast.message:
            values = {"title": broadcast.title.get(language) or broadcast.title["en"],
                      "message": broadcast.message[language], "unsubscribe_url": self.WAY_OUT}
            self.by_language[language] = (values, uow.messages.email("broadcast", language,
                                                                     values),
                                          uow.messages.sms("broadcast", language, values))

    def row(self, subscription, link: str, now: datetime) -> dict:
        language = subscription.language if subscription.language in self.by_language else "en"
        values, email, text = self.by_language[language]
        own = {**values, "unsubscribe_url": link}
        # One message per broadcast, channel and address, however many subscriptions match.
        who = hashlib.sha256(f"{subscription.channel}:{subscription.address}".encode())
        by_email = subscription.channel == "email"
        return {
            "dedupe_key": f"broadcast:{self.broadcast.id}:{who.hexdigest()[:40]}",
            "request_id": "", "channel": subscription.channel, "recipient": subscription.address,
            "subject": email.subject,
            "body": (email.text if by_email else text).replace(self.WAY_OUT, link),
            "html": email.html.replace(self.WAY_OUT, link) if by_email else None,
            "kind": "broadcast", "created_at": now, "next_attempt_at": now,
            "contact_ref": f"subscription:{subscription.id}", "language": language,
            "values": own, "lane": "bulk", "broadcast_id": self.broadcast.id,
            "unsubscribe_url": link}
