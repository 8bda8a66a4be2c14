"""Subscriptions and broadcasts through notify's HTTP API, with a real SMTP server and the
local SMS provider: confirmed opt-in, area alerts, the one-click way out; a broadcast paced
across two replicas, and news of a request that does not wait behind it."""
import json
import re
import time
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import select

from loop311_contracts.envelope import make_envelope
from loop311_notify.models import known_requests, subscriptions
from loop311_notify.service import NotifyService
from loop311_shared.db import make_engine
from support import TEST_ADMIN_TOKEN, free_port, publish_envelope, rows, wait_until

SMS_TOKEN = "provider-token"
ADMIN = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}
TOPICS = {"format": "loop311.topics/1", "topics": [
    {"code": "storm", "name": {"en": "Storm updates", "es": "Avisos de tormenta"}}]}
CITY_HALL = {"lat": 27.7705, "long": -82.6383}   # St. Petersburg City Hall
CLEARWATER = {"lat": 27.9659, "long": -82.8001}  # Clearwater City Hall, ~30 km away


def start_notify(container_factory, config):
    container_factory(NotifyService, config).start()
    config["url"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    return config


@pytest.fixture
def provider(sms_provider):
    return sms_provider(SMS_TOKEN)


def notify_config(service_config, provider, smtp_sink, **extra):
    config = service_config("notify", SMTP_PORT=smtp_sink.port, TWILIO_ACCOUNT_SID="ACtest",
                            TWILIO_AUTH_TOKEN=SMS_TOKEN, SMS_FROM="+17275550311",
                            SMS_BASE_URL=provider["url"], **extra)
    config["NOTIFY_PUBLIC_URL"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    return config


def texts(provider):
    return [json.loads(path.read_text()) for path in sorted(provider["folder"].glob("*.json"))]


def request_created(config, request_id, place, priority="normal"):
    publish_envelope(config["AMQP_URI"], make_envelope("request_created", request_id, {
        "request_id": request_id, "service_code": "pothole", "service_name": "Pothole Repair",
        "description": "deep", "address": "175 5th St N", "channel": "web",
        "priority": priority, "contact_ref": None,
        "requested_at": datetime.now(timezone.utc), **place}))


def test_an_area_subscriber_confirms_hears_of_new_reports_inside_and_leaves_in_one_click(
        container_factory, service_config, provider, smtp_sink):
    notify = start_notify(container_factory, notify_config(service_config, provider, smtp_sink))
    answer = requests.post(f"{notify['url']}/notify/v1/subscriptions", json={
        "kind": "area", "channel": "email", "email": "ada@example.org",
        "area": {"center": CITY_HALL, "radius_m": 800}}, timeout=5)
    assert answer.status_code == 201 and answer.json()["status"] == "pending", answer.text
    again = requests.post(f"{notify['url']}/notify/v1/subscriptions", json={
        "kind": "area", "channel": "email", "email": "ADA@example.org",
        "area": {"center": CITY_HALL, "radius_m": 800}}, timeout=5)
    assert again.status_code == 409
    for bad, says in (({"center": CITY_HALL, "radius_m": 0}, "radius_m"),
                      ({"center": CITY_HALL, "radius_m": 9_000_000}, "radius_m")):
        refused = requests.post(f"{notify['url']}/notify/v1/subscriptions", json={
            "kind": "area", "channel": "email", "email": "bea@example.org", "area": bad},
            timeout=5)
        assert refused.status_code == 400 and says in refused.text

    request_created(notify, "91", CITY_HALL)  # before the confirmation: nothing
    wait_until(lambda: known(notify, "91"), message="notify never handled #91")
    [confirmation] = wait_until(lambda: smtp_sink.messages(), message="no confirmation email")
    page = requests.get(confirm_link(confirmation), headers={"Accept": "text/html"}, timeout=5)
    assert page.status_code == 200 and "confirmed" in page.text
    # Bea follows the same area: her alerts show when notify has handled a request.
    bea = requests.post(f"{notify['url']}/notify/v1/subscriptions", json={
        "kind": "area", "channel": "email", "email": "bea@example.org",
        "area": {"center": CITY_HALL, "radius_m": 500}}, timeout=5)
    assert bea.status_code == 201
    requests.get(confirm_link(wait_until(lambda: mail_to(smtp_sink, "bea@example.org"),
                                         message="no confirmation for Bea")[0]), timeout=5)

    request_created(notify, "92", CLEARWATER)
    request_created(notify, "93", CITY_HALL)
    wait_until(lambda: len(mail_to(smtp_sink, "bea@example.org")) == 2, message="no alert")
    alerts = wait_until(lambda: mail_to(smtp_sink, "ada@example.org")[1:],
                         message="no area alert for Ada")
    assert [m["Subject"] for m in alerts] == ["New report near you: Pothole Repair (#93)"]
    alert = alerts[0]
    assert alert["Subject"] == "New report near you: Pothole Repair (#93)"
    assert not [m for m in smtp_sink.messages() if "#91" in m["Subject"] or "#92" in m["Subject"]]
    way_out = alert["List-Unsubscribe"].strip("<>")
    assert f"/u/{answer.json()['id']}/" in way_out
    assert requests.post(way_out, data={"List-Unsubscribe": "One-Click"},
                         timeout=5).json()["status"] == "unsubscribed"

    request_created(notify, "94", CITY_HALL)
    wait_until(lambda: len(mail_to(smtp_sink, "bea@example.org")) == 3,
               message="no alert for Bea about #94")
    assert [m["Subject"] for m in mail_to(smtp_sink, "ada@example.org")][1:] == [
        "New report near you: Pothole Repair (#93)"]  # nothing after she left


def known(config, request_id) -> bool:
    return bool(rows(config["DATABASE_URL"], select(known_requests.c.request_id).where(
        known_requests.c.request_id == request_id)))


def mail_to(sink, address):
    return [m for m in sink.messages() if m["To"] == address]


def confirm_link(message) -> str:
    plain = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    return re.search(r"(http://\S+/confirm\?token=\S+)",
                     plain.get_payload(decode=True).decode()).group(1)


def subscribe_phones(notify, count, start=0):
    for number in range(start, start + count):
        answer = requests.post(f"{notify['url']}/notify/v1/subscriptions", json={
            "kind": "topic", "channel": "sms", "phone": f"+1727555{number:04d}",
            "topic": "storm"}, timeout=5)
        assert answer.status_code == 201, answer.text
        yield answer.json()["id"]


def confirm_all(notify, ids):
    tokens = dict(rows(notify["DATABASE_URL"], select(subscriptions.c.id, subscriptions.c.token)))
    for subscription_id in ids:
        assert requests.get(f"{notify['url']}/notify/v1/subscriptions/{subscription_id}/confirm",
                            params={"token": tokens[subscription_id]},
                            timeout=5).status_code == 200


def test_a_broadcast_is_paced_across_two_replicas_and_request_news_does_not_wait_behind_it(
        container_factory, service_config, provider, smtp_sink):
    pace = {"SMS_RATE_PER_SECOND": 8}
    first = start_notify(container_factory, notify_config(service_config, provider, smtp_sink,
                                                          **pace))
    second_config = {**first, "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}"}
    second_config.pop("url")
    start_notify(container_factory, second_config)
    assert requests.put(f"{first['url']}/admin/v1/topics", json=TOPICS, headers=ADMIN,
                        timeout=5).status_code == 200
    ids = list(subscribe_phones(first, 24))
    wait_until(lambda: len(texts(provider)) == 24, timeout=30, message="confirmations")
    confirm_all(first, ids)

    started = requests.post(f"{first['url']}/admin/v1/broadcasts", headers=ADMIN, json={
        "topic": "storm", "title": {"en": "Storm update"},
        "message": {"en": "Shelters open at noon at every recreation center."}}, timeout=5)
    assert started.status_code == 201, started.text
    broadcast_id = started.json()["id"]
    began = time.monotonic()
    wait_until(lambda: sum("Shelters" in t["body"] for t in texts(provider)) >= 4, timeout=30,
               message="the broadcast never started")
    # A resident's news during the broadcast: its own lane, first in line.
    publish_envelope(first["AMQP_URI"], make_envelope("resident_contact_recorded", "96", {
        "contact_ref": "c-96", "request_id": "96", "email": None, "phone": "+17275559996",
        "first_name": None, "last_name": None, "language": None, "request_token": "t-96"}))
    request_created(first, "96", CITY_HALL)
    [confirmation] = wait_until(lambda: [t for t in texts(provider) if t["to"] == "+17275559996"],
                                timeout=30, message="the resident's confirmation never came")
    assert sum("Shelters" in t["body"] for t in texts(provider)) < 24  # it did not wait

    report = wait_until(lambda: (lambda r: r if r["status"] == "done" else None)(requests.get(
        f"{first['url']}/admin/v1/broadcasts/{broadcast_id}", headers=ADMIN, timeout=5).json()),
        timeout=60, message="the broadcast never finished")
    elapsed = time.monotonic() - began
    got = [t["to"] for t in texts(provider) if "Shelters" in t["body"]]
    assert sorted(got) == sorted(f"+1727555{n:04d}" for n in range(24))  # each once
    assert report["recipients"] == 24 and report["totals"].get("pending", 0) == 0
    # Two replicas sent it, together at the pace: 24 texts at 8/s take at least 23/8 s.
    assert elapsed >= 23 / 8 - 0.5, elapsed




def test_postgresql_finds_the_areas_that_hold_a_point_for_its_category(new_database):
    """The index query (bounding boxes, then the distance in SQL, then categories)."""
    from pathlib import Path

    from sqlalchemy.orm import Session

    import loop311_notify
    from loop311_notify import handlers
    from loop311_notify.commands import Subscribe, SubscriptionLink
    from loop311_notify.handlers.subscriptions import areas_holding
    from loop311_notify.unit_of_work import NotifyUnitOfWork
    from loop311_shared.db import migrate
    from loop311_shared.unit_of_work import run

    engine = make_engine(new_database("notify"))
    migrate(engine, Path(loop311_notify.__file__).parent / "migrations")
    with Session(engine) as session:
        uow = NotifyUnitOfWork(session, "notify")
        made = {}
        for name, area, categories in (
                ("hall-500m", {"center": CITY_HALL, "radius_m": 500}, None),
                ("hall-lights", {"center": CITY_HALL, "radius_m": 500}, ("streetlight",)),
                ("pier-300m", {"center": {"lat": 27.7730, "long": -82.6260}, "radius_m": 300},
                 None),
                ("downtown-square", {"polygon": {"type": "Polygon", "coordinates": [[
                    [-82.645, 27.765], [-82.630, 27.765], [-82.630, 27.775],
                    [-82.645, 27.775], [-82.645, 27.765]]]}}, None)):
            answer = run(uow, handlers.subscribe, Subscribe(
                "area", "email", "en", address=f"{name}@example.org", area=area,
                categories=categories))
            token = session.execute(select(subscriptions.c.token).where(
                subscriptions.c.id == answer["id"])).scalar_one()
            run(uow, handlers.confirm_subscription, SubscriptionLink(answer["id"], token))
            made[answer["id"]] = name

        def names(lat, long, service_code):
            return sorted(made[s.id] for s in areas_holding(uow, lat, long, service_code))

        assert names(27.7705, -82.6383, "pothole") == ["downtown-square", "hall-500m"]
        assert names(27.7705, -82.6383, "streetlight") == [
            "downtown-square", "hall-500m", "hall-lights"]
        assert names(27.7730, -82.6260, "pothole") == ["pier-300m"]  # outside the square
        assert names(27.9659, -82.8001, "pothole") == []  # Clearwater
    engine.dispose()
