"""The one writer of the request aggregate: requests, their notes, followers, media and
the reporters' contact details."""
import uuid
from datetime import datetime

from sqlalchemy import bindparam, insert, select, union_all, update
from sqlalchemy.orm import Session

from loop311_shared.db import lock_for_transaction

from ..domain.duplicates import bounding_box, distance_m
from ..models import contacts, followers, media, request_notes, service_requests

# Run for every report and every event about one; built once, as composing it cost more
# CPU than running it.
TOUCH = update(service_requests).where(service_requests.c.id == bindparam("request"))


class RequestRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_contact(self, contact: dict, callback: str | None) -> str:
        contact_ref = str(uuid.uuid4())
        self.session.execute(insert(contacts), {"contact_ref": contact_ref, "callback": callback,
                                                **contact})
        return contact_ref

    def add(self, now: datetime, **values) -> tuple[int, str]:
        """Store a new open request and its first note; return its id and token."""
        token = str(uuid.uuid4())
        row_id = self.session.execute(insert(service_requests), {
            "status": "open", "requested_at": now, "updated_at": now, "token": token, **values,
        }).inserted_primary_key[0]
        self.add_note(row_id, "opened", "Request received", now)
        return row_id, token

    def add_follower(self, request_id: int, contact_ref: str | None, now: datetime) -> None:
        if contact_ref:
            self.session.execute(insert(followers).values(
                request_id=request_id, contact_ref=contact_ref, followed_at=now))
        self.add_note(request_id, "reported_again", "Reported again by another resident", now)
        self.touch(request_id, now)

    def add_note(self, request_id: int, type_: str, summary: str, now: datetime,
                 visibility: str = "public", author: str | None = None) -> int:
        return self.session.execute(insert(request_notes), {
            "request_id": request_id, "type": type_, "summary": summary, "datetime": now,
            "visibility": visibility, "author": author}).inserted_primary_key[0]

    def add_image(self, request_id: int, filename: str, photo, media_base: str,
                  original=None) -> None:
        """Keep a vetted photo's public copy and, if given, the original as it came."""
        media_id = self.session.execute(insert(media).values(
            request_id=request_id, filename=filename[:255], content_type=photo.content_type,
            data=photo.data, original=original and original.data,
            original_type=original and original.content_type[:100])).inserted_primary_key[0]
        self.session.execute(update(service_requests)
                             .where(service_requests.c.id == request_id,
                                    service_requests.c.media_url.is_(None))
                             .values(media_url=f"{media_base.rstrip('/')}/media/{media_id}"))

    def token_of(self, request_id: int) -> str:
        return self.session.execute(select(service_requests.c.token)
                                    .where(service_requests.c.id == request_id)).scalar_one()

    def exists(self, request_id: int) -> bool:
        return self.session.execute(select(service_requests.c.id)
                                    .where(service_requests.c.id == request_id)).first() is not None

    def words(self, request_id: int):
        """The request's id, category, description, when it was made and the jurisdiction
        it was filed under; or None."""
        return self.session.execute(select(service_requests.c.id, service_requests.c.service_code,
                                           service_requests.c.description,
                                           service_requests.c.requested_at,
                                           service_requests.c.filed_in)
                                    .where(service_requests.c.id == request_id)).first()

    def locked(self, request_id: int):
        """The request's id, status, category, token and last close, locked until the work
        commits; or None."""
        return self.session.execute(select(service_requests.c.id, service_requests.c.status,
                                           service_requests.c.service_code,
                                           service_requests.c.token,
                                           service_requests.c.closed_at)
                                    .where(service_requests.c.id == request_id)
                                    .with_for_update()).first()

    def set_status(self, request_id: int, status: str, resolution, note, now: datetime) -> None:
        self.session.execute(update(service_requests).where(service_requests.c.id == request_id)
                             .values(status=status, resolution=resolution, status_notes=note,
                                     updated_at=now,
                                     **({"closed_at": now} if status == "closed" else {})))

    def reporter_refs(self, request_id: int) -> set[str]:
        """The contact refs of who reported the request: its first reporter and followers."""
        first = select(service_requests.c.contact_ref.label("ref")).where(
            service_requests.c.id == request_id, service_requests.c.contact_ref.is_not(None))
        others = select(followers.c.contact_ref.label("ref")).where(
            followers.c.request_id == request_id)
        return set(self.session.execute(union_all(first, others)).scalars())

    def of_phone(self, phone: str, limit: int = 20):
        """The requests reported (or reported again) from `phone`, last updated first, each
        with the contact ref it was reported under."""
        reporters = union_all(
            select(service_requests.c.id.label("request_id"),
                   service_requests.c.contact_ref.label("contact_ref")),
            select(followers.c.request_id, followers.c.contact_ref)).subquery()
        return self.session.execute(
            select(service_requests.c.id, service_requests.c.status,
                   service_requests.c.service_code, service_requests.c.updated_at,
                   service_requests.c.expected_at, reporters.c.contact_ref)
            .join(reporters, reporters.c.request_id == service_requests.c.id)
            .join(contacts, contacts.c.contact_ref == reporters.c.contact_ref)
            .where(contacts.c.phone == phone)
            .order_by(service_requests.c.updated_at.desc(), service_requests.c.id.desc())
            .limit(limit)).all()

    def touch(self, request_id: int, now: datetime, **values) -> None:
        self.session.execute(TOUCH, {"request": request_id, "updated_at": now, **values})

    def lock_neighbourhood(self, keys: list[str]) -> None:
        # Nearby reports of one category take turns, so two reports of one pothole cannot
        # both be first.
        for key in keys:
            lock_for_transaction(self.session, key)

    def open_near(self, lat: float, long: float, radius_m: float, *conditions):
        """Open requests within `radius_m`, nearest first, as (distance, row) pairs."""
        south, north, west, east = bounding_box(lat, long, radius_m)
        candidates = self.session.execute(
            select(service_requests.c.id, service_requests.c.service_code,
                   service_requests.c.requested_at, service_requests.c.lat,
                   service_requests.c.long)
            .where(service_requests.c.status != "closed",
                   service_requests.c.lat.between(south, north),
                   service_requests.c.long.between(west, east), *conditions)
        ).all()
        nearby = [(distance_m(lat, long, row.lat, row.long), row) for row in candidates]
        return sorted(((d, row) for d, row in nearby if d <= radius_m), key=lambda pair: pair[0])

    def open_duplicate(self, service_code: str, lat, long, since: datetime, radius_m: float):
        """The nearest open request of the same category within the radius since `since`."""
        if lat is None or long is None or radius_m <= 0:
            return None
        nearby = self.open_near(lat, long, radius_m,
                                service_requests.c.service_code == service_code,
                                service_requests.c.requested_at >= since)
        return nearby[0][1].id if nearby else None
