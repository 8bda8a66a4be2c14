"""Subscriptions (a request, an area × categories, a topic), confirmed opt-in, one-step
unsubscribe, area alerts and digests, and broadcasts expanded in resumable batches: the
handlers on SQLite."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

import loop311_notify
from loop311_notify import handlers
from loop311_notify.commands import ImportTopics, StartBroadcast, Subscribe, SubscriptionLink
from loop311_notify.handlers import broadcasts as broadcasting
from loop311_notify.models import area_digest_items, deliveries, subscriptions
from loop311_notify.unit_of_work import NotifyPolicy, NotifyUnitOfWork
from loop311_shared.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from loop311_shared.unit_of_work import apply_once, run
from support import received_event

AT = datetime(2026, 11, 24, 15, tzinfo=timezone.utc)
# St. Petersburg City Hall and the Pier (1.2 km apart), and Clearwater City Hall (~30 km).
CITY_HALL, PIER, CLEARWATER = (27.7705, -82.6383), (27.7730, -82.6260), (27.9659, -82.8001)
TOPICS = {"format": "loop311.topics/1", "topics": [
    {"code": "storm", "name": {"en": "Storm updates", "es": "Avisos de tormenta"},
     "description": ""},
    {"code": "meetings", "name": {"en": "Council meetings"}, "description": ""}]}


@pytest.fixture
def uow(migrated_session):
    with migrated_session(loop311_notify) as session:
        unit = NotifyUnitOfWork(session, "notify", sms=True, policy=NotifyPolicy(
            public_url="https://notify.example", push_platforms=frozenset({"webpush"})))
        run(unit, handlers.import_topics, ImportTopics(TOPICS, "tests"))
        yield unit


def feed(uow, event_type, data):
    event = received_event(event_type, data, subject=data.get("request_id", "x"))
    apply_once(uow, event, getattr(handlers, f"handle_{event_type}"))
    return event


def created(uow, request_id, place, service_code="pothole", service_name="Pothole Repair"):
    feed(uow, "request_created", {
        "request_id": request_id, "service_code": service_code, "service_name": service_name,
        "description": "deep", "lat": place[0], "long": place[1], "address": "175 5th St N",
        "channel": "web", "priority": "normal", "contact_ref": None, "requested_at": AT})


def subscribe(uow, **fields):
    fields.setdefault("language", "en")
    return run(uow, handlers.subscribe, Subscribe(**fields))


def confirmed(uow, answer):
    token = uow.session.execute(select(subscriptions.c.token)
                                .where(subscriptions.c.id == answer["id"])).scalar_one()
    return run(uow, handlers.confirm_subscription, SubscriptionLink(answer["id"], token))


def queued(uow, kind):
    return uow.session.execute(select(deliveries).where(deliveries.c.kind == kind)
                               .order_by(deliveries.c.id)).all()


def near(place, radius_m=500):
    return {"center": {"lat": place[0], "long": place[1]}, "radius_m": radius_m}


def test_nothing_is_sent_before_the_link_confirms_it_and_one_step_stops_it(uow):
    answer = subscribe(uow, kind="topic", channel="email", address="Ada@Example.org",
                       topic="storm")
    assert answer["status"] == "pending"
    [confirmation] = queued(uow, "subscription_confirm")
    assert confirmation.recipient == "ada@example.org"
    assert f"/notify/v1/subscriptions/{answer['id']}/confirm?token=" in confirmation.body
    assert "announcements about Storm updates" in confirmation.subject

    with pytest.raises(Forbidden):
        run(uow, handlers.confirm_subscription, SubscriptionLink(answer["id"], "x" * 32))
    assert confirmed(uow, answer)["status"] == "active"
    token = uow.session.execute(select(subscriptions.c.token)).scalar_one()
    assert run(uow, handlers.leave_subscription,
               SubscriptionLink(answer["id"], token))["status"] == "unsubscribed"
    with pytest.raises(Conflict):
        run(uow, handlers.confirm_subscription, SubscriptionLink(answer["id"], token))


def test_bad_subscriptions_are_refused_and_nothing_is_kept(uow):
    cases = [
        (Unprocessable, dict(kind="topic", channel="email", address="a@x.org", topic="parade")),
        (NotFound, dict(kind="request", channel="email", address="a@x.org", request_id="404")),
        (Invalid, dict(kind="area", channel="email", address="a@x.org", area=near(CITY_HALL, 0))),
        (Invalid, dict(kind="area", channel="email", address="a@x.org",
                       area=near(CITY_HALL, 5_000_000))),
        (Invalid, dict(kind="area", channel="email", address="a@x.org", area={"polygon": {
            "type": "Polygon", "coordinates": [[[-82, 27], [-80, 27], [-80, 29], [-82, 27]]]}})),
        (Invalid, dict(kind="topic", channel="sms", address="12", topic="storm")),
        (Unprocessable, dict(kind="topic", channel="push", topic="storm", push={
            "platform": "fcm", "device_token": "abcdefgh1234"})),
        (Invalid, dict(kind="topic", channel="push", topic="storm", push={
            "platform": "webpush", "subscription": {
                "endpoint": "http://push.example/1", "keys": {"p256dh": "k", "auth": "a"}}})),
    ]
    for error, fields in cases:
        with pytest.raises(error):
            subscribe(uow, **fields)
    assert uow.session.execute(select(func.count()).select_from(subscriptions)).scalar_one() == 0

    subscribe(uow, kind="topic", channel="email", address="a@x.org", topic="storm")
    with pytest.raises(Conflict):  # the same again
        subscribe(uow, kind="topic", channel="email", address="A@x.org", topic="storm")


def test_a_new_request_alerts_the_areas_that_hold_it_for_their_categories(uow):
    around_hall = subscribe(uow, kind="area", channel="email", address="ada@example.org",
                            area=near(CITY_HALL))
    lights_only = subscribe(uow, kind="area", channel="sms", address="(727) 555-0150",
                            area=near(CITY_HALL), categories=("streetlight",))
    drawn = subscribe(uow, kind="area", channel="email", address="bea@example.org", area={
        "polygon": {"type": "Polygon", "coordinates": [[
            [-82.64, 27.76], [-82.62, 27.76], [-82.62, 27.78], [-82.64, 27.78], [-82.64, 27.76]]]}})
    unconfirmed = subscribe(uow, kind="area", channel="email", address="cy@example.org",
                            area=near(CITY_HALL))
    for answer in (around_hall, lights_only, drawn):
        confirmed(uow, answer)

    created(uow, "61", CITY_HALL)
    created(uow, "62", PIER)          # 1.2 km from City Hall: only the polygon holds it
    created(uow, "63", CLEARWATER)    # another city: nobody
    created(uow, "64", CITY_HALL, "streetlight", "Streetlight Out")

    alerts = [(row.request_id, row.recipient, row.lane) for row in queued(uow, "area_alert")]
    assert sorted(alerts) == sorted([
        ("61", "ada@example.org", "bulk"), ("61", "bea@example.org", "bulk"),
        ("62", "bea@example.org", "bulk"),
        ("64", "ada@example.org", "bulk"), ("64", "+17275550150", "bulk"),
        ("64", "bea@example.org", "bulk")])
    assert unconfirmed["status"] == "pending"
    sms = [row for row in queued(uow, "area_alert") if row.channel == "sms"][0]
    assert "Streetlight Out" in sms.body and "https://notify.example/u/" in sms.body


def test_a_daily_area_subscription_gets_one_digest(uow):
    daily = subscribe(uow, kind="area", channel="email", address="ada@example.org",
                      area=near(CITY_HALL, 2000), frequency="daily")
    confirmed(uow, daily)
    created(uow, "71", CITY_HALL)
    created(uow, "72", PIER)
    assert queued(uow, "area_alert") == []
    due = uow.session.execute(select(func.min(area_digest_items.c.due_at))).scalar_one()
    due = due.replace(tzinfo=timezone.utc)
    assert run(uow, handlers.send_due_area_digests, due - timedelta(seconds=1)) == 0
    assert run(uow, handlers.send_due_area_digests, due) == 1
    assert run(uow, handlers.send_due_area_digests, due) == 0
    [digest] = queued(uow, "area_digest")
    assert digest.subject == "2 new reports in the area you follow"
    assert "#71" in digest.body and "#72" in digest.body


def test_followers_of_a_request_hear_each_step_with_their_own_way_out(uow):
    created(uow, "81", CITY_HALL)
    follow = subscribe(uow, kind="request", channel="email", address="dan@example.org",
                       request_id="81", language="es")
    confirmed(uow, follow)
    feed(uow, "request_status_changed", {
        "request_id": "81", "service_code": "pothole", "previous_status": "open",
        "status": "acknowledged", "resolution": None, "public_note": None, "changed_at": AT})
    [update_row] = queued(uow, "acknowledged")
    assert update_row.recipient == "dan@example.org" and update_row.lane == "direct"
    assert update_row.subject.startswith("La solicitud n.º 81")
    assert update_row.unsubscribe_url.startswith(f"https://notify.example/u/{follow['id']}/")


def test_a_broadcast_reaches_each_address_once_in_batches_and_can_be_cancelled(uow, monkeypatch):
    monkeypatch.setattr(broadcasting, "BATCH", 2)
    for number in range(5):
        confirmed(uow, subscribe(uow, kind="topic", channel="email", topic="storm",
                                 address=f"r{number}@example.org",
                                 language="es" if number == 0 else "en"))
    pending = subscribe(uow, kind="topic", channel="email", topic="storm",
                        address="late@example.org")
    confirmed(uow, subscribe(uow, kind="topic", channel="email", topic="meetings",
                             address="r1@example.org"))
    too_long = StartBroadcast({"en": "Storm"}, {"en": "x" * 400}, "tests", topic="storm")
    with pytest.raises(Invalid, match="too long for a text"):
        run(uow, handlers.start_broadcast, too_long)

    started = run(uow, handlers.start_broadcast, StartBroadcast(
        {"en": "Storm update", "es": "Aviso de tormenta"},
        {"en": "Shelters open at noon.", "es": "Los refugios abren al mediodía."}, "tests",
        topic="storm"))
    while run(uow, handlers.expand_broadcasts, AT):
        pass
    rows = queued(uow, "broadcast")
    assert sorted(row.recipient for row in rows) == [f"r{n}@example.org" for n in range(5)]
    assert {row.lane for row in rows} == {"bulk"}
    spanish = [row for row in rows if row.recipient == "r0@example.org"][0]
    assert spanish.subject == "Aviso de tormenta" and "refugios" in spanish.body
    assert pending["status"] == "pending"  # unconfirmed: nothing

    report = run(uow, handlers.broadcast_report, started["id"])
    assert (report["status"], report["recipients"], report["totals"]) == (
        "sending", 5, {"pending": 5})
    assert datetime.fromisoformat(report["created_at"]).tzinfo is not None
    uow.session.execute(update(deliveries).where(deliveries.c.id == rows[0].id)
                        .values(status="sent"))
    assert run(uow, handlers.cancel_broadcast, started["id"])["not_sent"] == 4
    report = run(uow, handlers.broadcast_report, started["id"])
    assert report["totals"] == {"sent": 1, "cancelled": 4}
    with pytest.raises(Conflict):
        run(uow, handlers.cancel_broadcast, started["id"])
