"""The one writer of push subscriptions, residents' subscriptions, topics (imported
configuration), broadcasts and area digests."""
import uuid
from datetime import datetime

from sqlalchemy import Float, and_, bindparam, delete, func, insert, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from loop311_shared import reference_data
from loop311_shared.db import lock_for_transaction

from ..domain.areas import EARTH_RADIUS_M
from ..models import (
    area_digest_items,
    broadcasts,
    configuration_versions,
    deliveries,
    push_subscriptions,
    subscriptions,
)
from .due_items import DueItems


class PushRepository:
    def __init__(self, session: Session):
        self.session = session

    def register(self, platform: str, address: str, p256dh: str | None, auth: str | None,
                 now: datetime) -> str:
        """The id of this browser's or device's subscription, kept once however often it
        is registered (its keys updated)."""
        lock_for_transaction(self.session, f"push:{address}")
        found = self.session.execute(select(push_subscriptions.c.id).where(
            push_subscriptions.c.address == address)).scalar_one_or_none()
        if found:
            self.session.execute(update(push_subscriptions).where(
                push_subscriptions.c.id == found).values(p256dh=p256dh, auth=auth))
            return found
        push_id = str(uuid.uuid4())
        self.session.execute(insert(push_subscriptions).values(
            id=push_id, platform=platform, address=address, p256dh=p256dh, auth=auth,
            created_at=now))
        return push_id

    def get(self, push_id: str):
        return self.session.execute(select(push_subscriptions)
                                    .where(push_subscriptions.c.id == push_id)).first()

    def forget(self, push_id: str, now: datetime) -> None:
        """The push service says it is gone: drop it and every subscription on it."""
        self.session.execute(delete(push_subscriptions).where(push_subscriptions.c.id == push_id))
        self.session.execute(update(subscriptions).where(
            subscriptions.c.channel == "push", subscriptions.c.address == push_id,
            subscriptions.c.status != "unsubscribed").values(status="unsubscribed",
                                                             unsubscribed_at=now))


class SubscriptionRepository:
    def __init__(self, session: Session):
        self.session = session
        self.area_digests = DueItems(session, area_digest_items, "subscription_id")

    def add(self, **values) -> None:
        self.session.execute(insert(subscriptions).values(**values))

    def live_with_fingerprint(self, fingerprint: str):
        """A pending or active subscription to the same thing by the same address, after
        waiting for any transaction adding one (so two at once cannot both be new)."""
        lock_for_transaction(self.session, f"subscription:{fingerprint}")
        return self.session.execute(select(subscriptions).where(
            subscriptions.c.fingerprint == fingerprint,
            subscriptions.c.status != "unsubscribed")).first()

    def get(self, subscription_id: str, for_update: bool = False):
        query = select(subscriptions).where(subscriptions.c.id == subscription_id)
        return self.session.execute(query.with_for_update() if for_update else query).first()

    def set_status(self, subscription_id: str, status: str, now: datetime) -> None:
        stamp = {"confirmed_at": now} if status == "active" else {"unsubscribed_at": now}
        self.session.execute(update(subscriptions).where(subscriptions.c.id == subscription_id)
                             .values(status=status, **stamp))

    def following(self, request_id: str):
        return self.session.execute(select(subscriptions).where(
            subscriptions.c.kind == "request", subscriptions.c.request_id == request_id,
            subscriptions.c.status == "active").order_by(subscriptions.c.id)).all()

    def areas_around(self, lat: float, long: float, service_code: str):
        """Active area subscriptions of the category (or of all) whose circle holds the
        point, and the polygons whose bounding box does (the caller checks the polygon)."""
        if self.session.bind.dialect.name == "postgresql":
            return self.session.execute(_AREAS_HOLDING, {
                "lat": lat, "long": long, "service_codes": [service_code]}).all()
        c = subscriptions.c
        holds = and_(c.min_lat <= lat, c.max_lat >= lat, c.min_long <= long, c.max_long >= long)
        return self.session.execute(_areas(holds, true(), true())).all()

    def audience_batch(self, topic: str | None, bounds, after: str, limit: int):
        """The next active subscriptions of a broadcast's audience, by id after `after`:
        a topic's subscribers, or area subscribers whose box meets the broadcast's."""
        c = subscriptions.c
        query = select(subscriptions).where(c.status == "active", c.id > after)
        if topic is not None:
            query = query.where(c.kind == "topic", c.topic == topic)
        else:
            south, north, west, east = bounds
            query = query.where(c.kind == "area", c.min_lat <= north, c.max_lat >= south,
                                c.min_long <= east, c.max_long >= west)
        return self.session.execute(query.order_by(c.id).limit(limit)).all()


def _haversine_m(lat, long):
    """The great-circle distance from a subscription's centre to the point, in SQL (the
    same formula as domain.areas.distance_m)."""
    c = subscriptions.c
    dphi = func.radians(c.center_lat - lat) / 2
    dlambda = func.radians(c.center_long - long) / 2
    a = func.power(func.sin(dphi), 2) + func.cos(func.radians(lat)) * \
        func.cos(func.radians(c.center_lat)) * func.power(func.sin(dlambda), 2)
    return 2 * EARTH_RADIUS_M * func.asin(func.sqrt(func.least(a, 1.0)))


def _areas(holds, in_circle, for_category):
    c = subscriptions.c
    return (select(c.id, c.channel, c.address, c.language, c.token, c.frequency, c.area,
                   c.categories, c.radius_m)
            .where(c.kind == "area", c.status == "active", holds, in_circle, for_category))


def _areas_holding_on_postgresql():
    c = subscriptions.c
    lat, long = bindparam("lat", type_=Float), bindparam("long", type_=Float)
    # The GiST index ix_subscriptions_area_box (migration 0008) finds the boxes.
    # (GiST's box_ops answers `box @> box`, not `box @> point`: a point is a box.)
    holds = text("box(point(min_long, min_lat), point(max_long, max_lat)) "
                 "@> box(point(:long, :lat), point(:long, :lat))").bindparams(lat, long)
    in_circle = or_(c.radius_m.is_(None), _haversine_m(lat, long) <= c.radius_m)
    categories = c.categories.cast(JSONB)  # a list, or null (JSON's) for all
    for_category = or_(c.categories.is_(None), func.jsonb_typeof(categories) == "null",
                       categories.contains(bindparam("service_codes", type_=JSONB)))
    return _areas(holds, in_circle, for_category)


# Asked for every new request; built once, as composing it cost more CPU than running it.
_AREAS_HOLDING = _areas_holding_on_postgresql()


class TopicRepository(reference_data.ImportedVersions):
    """The topics in force: the latest imported `topics` document."""

    versions_table = configuration_versions
    kind = "topics"

    def __init__(self, session: Session):
        self.session = session

    def topics(self) -> dict[str, dict]:
        in_force = self.current_import()
        return {topic["code"]: topic
                for topic in (in_force["document"]["topics"] if in_force else [])}


class BroadcastRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, **values) -> None:
        self.session.execute(insert(broadcasts).values(**values))

    def get(self, broadcast_id: str, for_update: bool = False):
        query = select(broadcasts).where(broadcasts.c.id == broadcast_id)
        return self.session.execute(query.with_for_update() if for_update else query).first()

    def claim_expanding(self):
        """One broadcast still being expanded that no other replica holds, locked."""
        return self.session.execute(select(broadcasts).where(broadcasts.c.status == "expanding")
                                    .order_by(broadcasts.c.created_at).limit(1)
                                    .with_for_update(skip_locked=True)).first()

    def advance(self, broadcast_id: str, cursor: str, added: int) -> None:
        self.session.execute(update(broadcasts).where(broadcasts.c.id == broadcast_id).values(
            cursor=cursor, recipients=broadcasts.c.recipients + added))

    def set_status(self, broadcast_id: str, status: str, now: datetime | None = None) -> None:
        values = {"status": status, **({"finished_at": now} if now else {})}
        self.session.execute(update(broadcasts).where(broadcasts.c.id == broadcast_id)
                             .values(**values))

    def delivery_counts(self, broadcast_id: str) -> dict[str, dict[str, int]]:
        """{channel: {status: count}} of the broadcast's messages."""
        counts: dict[str, dict[str, int]] = {}
        for channel, status, count in self.session.execute(
                select(deliveries.c.channel, deliveries.c.status, func.count())
                .where(deliveries.c.broadcast_id == broadcast_id)
                .group_by(deliveries.c.channel, deliveries.c.status)):
            counts.setdefault(channel, {})[status] = count
        return counts

    def cancel_pending(self, broadcast_id: str) -> int:
        return self.session.execute(update(deliveries).where(
            deliveries.c.broadcast_id == broadcast_id, deliveries.c.status == "pending")
            .values(status="cancelled")).rowcount

    def unfinished_sending(self) -> list[str]:
        return list(self.session.execute(select(broadcasts.c.id).where(
            broadcasts.c.status == "sending")).scalars())

    def pending_count(self, broadcast_id: str) -> int:
        return self.session.execute(select(func.count()).select_from(deliveries).where(
            deliveries.c.broadcast_id == broadcast_id,
            deliveries.c.status == "pending")).scalar_one()


