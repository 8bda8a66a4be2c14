"""Residents follow a request, an area × categories, or a topic, on email, SMS or push;
nothing is sent until they confirm (browser push: granting the permission is the
confirmation), and every message carries a one-step way out."""
import hashlib
import json
import secrets
import uuid
from datetime import datetime, time, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import phonenumbers

from loop311_contracts.envelope import Event
from loop311_shared.clock import utcnow
from loop311_shared.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable

from ..commands import FollowByPush, Subscribe, SubscriptionLink
from ..domain.areas import Area, AreaProblem
from ..domain.messages import greeting
from ..unit_of_work import NotifyUnitOfWork
from .queueing import queue_message

DIGEST_HOUR = time(8)  # daily digests go out at 08:00 in the residents' time zone


def subscribe(uow: NotifyUnitOfWork, command: Subscribe, reuse: bool = False) -> dict:
    """A new subscription; the same one twice is a Conflict (or, with `reuse`, the one
    there is)."""
    address = _address(uow, command)
    values = {"kind": command.kind, "channel": command.channel, "address": address,
              "language": command.language, "frequency": command.frequency,
              "categories": sorted(command.categories) if command.categories else None}
    if command.kind == "request":
        if uow.ledger.service_name(command.request_id) is None:
            raise NotFound(f"no request {command.request_id!r} to follow")
        values["request_id"] = command.request_id
    elif command.kind == "topic":
        topics = uow.topics.topics()
        if command.topic not in topics:
            raise Unprocessable(f"unknown topic {command.topic!r}: one of "
                                f"{', '.join(sorted(topics)) or '(none defined yet)'}")
        values["topic"] = command.topic
    else:
        try:
            area = Area.from_document(command.area)
        except AreaProblem as problem:
            raise Invalid(str(problem)) from None
        values["area"] = area.document()
        values["min_lat"], values["max_lat"], values["min_long"], values["max_long"] = \
            area.bounds()
        values.update(center_lat=area.lat, center_long=area.long, radius_m=area.radius_m)
    fingerprint = hashlib.sha256(json.dumps(
        [values.get(name) for name in ("kind", "channel", "address", "request_id", "topic",
                                       "area", "categories", "frequency")],
        sort_keys=True).encode()).hexdigest()
    existing = uow.subscriptions.live_with_fingerprint(fingerprint)
    if existing is not None and reuse:
        return {"id": existing.id, "status": existing.status, "kind": existing.kind,
                "channel": existing.channel}
    if existing is not None:
        raise Conflict(f"this address already has that subscription ({existing.id}, "
                       f"{existing.status})")
    subscription_id, now = str(uuid.uuid4()), utcnow()
    status = "active" if command.channel == "push" else "pending"
    token = secrets.token_urlsafe(12)  # 96 bits
    uow.subscriptions.add(id=subscription_id, status=status, token=token,
                          fingerprint=fingerprint, created_at=now,
                          confirmed_at=now if status == "active" else None, **values)
    if status == "pending":
        link = f"{uow.policy.public_url}/notify/v1/subscriptions/{subscription_id}"
        queue_message(uow, command.channel, f"subscription_confirm:{subscription_id}",
                      "subscription_confirm", command.request_id or "", command.language,
                      {"what": describe(uow, command), "confirm_url": f"{link}/confirm?token={token}",
                       "unsubscribe_url": unsubscribe_url(uow, subscription_id, token)},
                      now, contact_ref=None, address=address)
    return {"id": subscription_id, "status": status, "kind": command.kind,
            "channel": command.channel}


def confirm(uow: NotifyUnitOfWork, link: SubscriptionLink) -> dict:
    subscription = _by_link(uow, link)
    if subscription.status == "unsubscribed":
        raise Conflict("this subscription was stopped; subscribe again to restart it")
    if subscription.status == "pending":
        uow.subscriptions.set_status(subscription.id, "active", utcnow())
    return {"id": subscription.id, "status": "active"}


def unsubscribe(uow: NotifyUnitOfWork, link: SubscriptionLink) -> dict:
    subscription = _by_link(uow, link)
    if subscription.status != "unsubscribed":
        uow.subscriptions.set_status(subscription.id, "unsubscribed", utcnow())
    return {"id": subscription.id, "status": "unsubscribed"}


def follow_request_by_push(uow: NotifyUnitOfWork, command: FollowByPush) -> dict:
    """A reporter's browser or app follows their request (the request's token is proof);
    following it again answers the subscription it has."""
    if not uow.ledger.reporters_with_token(command.request_id, command.token):
        raise NotFound(f"no request {command.request_id!r} with that token")
    return subscribe(uow, Subscribe("request", "push", command.language, push=command.push,
                                    request_id=command.request_id), reuse=True)


def queue_for_followers(uow: NotifyUnitOfWork, event: Event, kind: str, values: dict) -> None:
    """Whoever follows the request (not its reporters) hears each step too."""
    request_id = event.data["request_id"]
    service_name = uow.ledger.service_name(request_id) or ""
    send_at = _after_quiet_hours(uow)
    for subscription in uow.subscriptions.following(request_id):
        key = f"{kind}:{request_id}:{event.id}:sub:{subscription.id}"
        if uow.ledger.has_delivery(key):
            continue
        link = unsubscribe_url(uow, subscription.id, subscription.token)
        queue_message(uow, subscription.channel, key, kind, request_id, subscription.language,
                      {"request_id": request_id, "service_name": service_name,
                       "greeting": greeting(None, subscription.language),
                       "rating_url": "", "unsubscribe_url": link, **values},
                      send_at, contact_ref=f"subscription:{subscription.id}",
                      address=subscription.address, unsubscribe_url=link)


def alert_areas(uow: NotifyUnitOfWork, request: dict) -> int:
    """A new request with a place: each area subscription holding it, of its categories,
    hears it now or in tomorrow's digest. Returns how many matched."""
    if request["lat"] is None or request["long"] is None:
        return 0
    item = {"request_id": request["request_id"], "service_name": request["service_name"],
            "address": request["address"] or ""}
    matched = areas_holding(uow, request["lat"], request["long"], request["service_code"])
    send_at, digest_due = _after_quiet_hours(uow), _next_digest(uow)
    for subscription in matched:
        key = f"area:{request['request_id']}:{subscription.id}"
        if subscription.frequency == "daily":
            uow.subscriptions.area_digests.add(subscription.id, request["request_id"],
                                               json.dumps(item), key, digest_due)
            continue
        link = unsubscribe_url(uow, subscription.id, subscription.token)
        queue_message(uow, subscription.channel, key, "area_alert", request["request_id"],
                      subscription.language, {**item, "unsubscribe_url": link},
                      send_at, contact_ref=f"subscription:{subscription.id}",
                      address=subscription.address, lane="bulk", unsubscribe_url=link)
    return len(matched)


def areas_holding(uow: NotifyUnitOfWork, lat: float, long: float, service_code: str) -> list:
    """The active area subscriptions whose area holds the point, for its category. The
    database answers for circles; polygons (and SQLite) are checked here."""
    return [subscription for subscription
            in uow.subscriptions.areas_around(lat, long, service_code)
            if (not subscription.categories or service_code in subscription.categories)
            and Area.from_stored(subscription.area).contains(lat, long)]


def send_due_area_digests(uow: NotifyUnitOfWork, now: datetime) -> int:
    queued = 0
    for subscription_id in uow.subscriptions.area_digests.owners_due(now):
        items = uow.subscriptions.area_digests.take(subscription_id, now)
        subscription = uow.subscriptions.get(subscription_id)
        if not items or subscription is None or subscription.status != "active":
            continue
        link = unsubscribe_url(uow, subscription.id, subscription.token)
        queue_message(uow, subscription.channel, f"area_digest:{subscription.id}:{items[0].id}",
                      "area_digest", items[0].request_id, subscription.language,
                      {"items": [json.loads(item.line) for item in items],
                       "unsubscribe_url": link}, now,
                      contact_ref=f"subscription:{subscription.id}",
                      address=subscription.address, lane="bulk", unsubscribe_url=link)
        queued += 1
    return queued


def unsubscribe_url(uow, subscription_id: str, token: str) -> str:
    """The short way out every subscription message carries (short: texts pay per
    character)."""
    return f"{uow.policy.public_url}/u/{subscription_id}/{token}"


def describe(uow, command: Subscribe) -> str:
    """What the resident signed up for, in their language, for the confirmation."""
    spanish = command.language == "es"
    if command.kind == "request":
        return (f"las novedades de la solicitud {command.request_id}" if spanish
                else f"news of request {command.request_id}")
    if command.kind == "topic":
        name = uow.topics.topics()[command.topic]["name"]
        return (f"los avisos de {name.get('es') or name['en']}" if spanish
                else f"announcements about {name['en']}")
    return "los nuevos reportes en una zona" if spanish else "new reports in an area"


def _address(uow, command: Subscribe) -> str:
    if command.channel == "email":
        return command.address.lower()
    if command.channel == "sms":
        try:
            number = phonenumbers.parse(command.address, uow.policy.phone_region)
        except phonenumbers.NumberParseException as error:
            raise Invalid(f"phone: {error}") from None
        if not phonenumbers.is_valid_number(number):
            raise Invalid(f"phone: {command.address!r} is not a valid number")
        if not uow.sms:
            raise Unprocessable("texts are not enabled here: choose email or push")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return _register_push(uow, command.push)


def _register_push(uow, push: dict) -> str:
    platform = push["platform"]
    if platform not in uow.policy.push_platforms:
        raise Unprocessable(f"{platform} push is not enabled here")
    if platform == "webpush":
        endpoint = push["subscription"]["endpoint"]
        if urlparse(endpoint).scheme != "https" and not uow.policy.push_allow_http:
            raise Invalid("a push endpoint must be https")
        keys = push["subscription"]["keys"]
        return uow.push.register("webpush", endpoint, keys["p256dh"], keys["auth"], utcnow())
    return uow.push.register(platform, push["device_token"], None, None, utcnow())


def _by_link(uow, link: SubscriptionLink):
    subscription = uow.subscriptions.get(link.subscription_id, for_update=True)
    if subscription is None:
        raise NotFound(f"no subscription {link.subscription_id!r}")
    if not secrets.compare_digest(subscription.token, link.token):
        raise Forbidden("this link is not valid for that subscription")
    return subscription


def _after_quiet_hours(uow) -> datetime:
    now = utcnow()
    quiet = uow.policy.quiet(None)
    return quiet.release_at(now) if quiet else now


def _next_digest(uow) -> datetime:
    zone = ZoneInfo(uow.policy.time_zone)
    local = utcnow().astimezone(zone)
    day = local.date() + timedelta(days=1) if local.time() >= DIGEST_HOUR else local.date()
    return datetime.combine(day, DIGEST_HOUR, tzinfo=zone)
