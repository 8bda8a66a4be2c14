"""intake's Open311 API on the real broker and PostgreSQL."""
import json
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
import requests
from sqlalchemy import func, select

from loop311_contracts.envelope import make_envelope
from loop311_intake.models import outbox, service_requests
from loop311_shared.db import make_engine
from support import TEST_API_KEY, EventTap, publish_envelope, wait_until

NOON = datetime(2026, 11, 24, 12, tzinfo=timezone.utc)
POTHOLE = {"service_code": "pothole", "attribute[size]": "large", "api_key": TEST_API_KEY,
           "description": "Deep pothole", "lat": "42.3594",
           "long": "-71.0587", "email": "ada@example.org", "first_name": "Ada",
           "phone": "617-555-0100"}


@pytest.fixture
def intake(start_intake, service_config):
    config = service_config("intake")
    start_intake(config)
    config["base"] = f"http://{config['WEB_SERVER_ADDRESS']}/open311/v2"
    return config


def stored_counts(config):
    engine = make_engine(config["DATABASE_URL"])
    with engine.connect() as connection:
        counts = tuple(connection.execute(select(func.count()).select_from(table)).scalar_one()
                       for table in (service_requests, outbox))
    engine.dispose()
    return counts


def test_a_form_post_is_stored_announced_and_shown_without_personal_data(intake):
    created = EventTap(intake["AMQP_URI"], "request_created")

    answer = requests.post(f"{intake['base']}/requests.json", data=POTHOLE, timeout=5)

    assert answer.status_code == 201
    request_id = answer.json()[0]["service_request_id"]
    event = created.next()
    assert event["subject"] == request_id
    assert event["data"]["service_code"] == "pothole"
    assert event["data"]["contact_ref"]
    assert "ada@example.org" not in json.dumps(event)
    shown = requests.get(f"{intake['base']}/requests/{request_id}.json", timeout=5).json()[0]
    assert shown["service_request_id"] == request_id
    assert shown["status"] == "open"
    assert shown["lat"] == 42.3594
    assert not {"ada@example.org", "Ada", "617-555-0100"} & set(map(str, shown.values()))


def test_contacts_are_normalised_and_travel_only_on_the_private_exchange(intake):
    contact = EventTap(intake["AMQP_URI"], "resident_contact_recorded")

    answer = requests.post(f"{intake['base']}/requests.json", timeout=5, data={
        **POTHOLE, "phone": "(617) 555-0100", "email": "Ada@Example.ORG"})

    assert answer.status_code == 201
    event = contact.next()
    assert event["source"] == "/loop311/intake"
    assert event["data"]["phone"] == "+16175550100"
    assert event["data"]["email"] == "Ada@example.org"


def test_a_json_post_is_accepted_too(intake):
    answer = requests.post(f"{intake['base']}/requests.json", timeout=5, json={
        "service_code": "graffiti", "address_string": "1 City Hall Sq", "description": "tag",
        "api_key": TEST_API_KEY})

    assert answer.status_code == 201
    assert stored_counts(intake) == (1, 1)  # no contact given: no contact event


def test_the_service_list_is_the_catalog(intake):
    services = requests.get(f"{intake['base']}/services.json", timeout=5).json()

    assert {"pothole", "graffiti", "needle_pickup"} <= {s["service_code"] for s in services}
    assert all(s["type"] == "realtime" for s in services)
    metadata = {s["service_code"]: s["metadata"] for s in services}
    assert metadata["pothole"] is True and metadata["graffiti"] is False


@pytest.mark.parametrize("send, status, says", [
    (dict(data="{not json", headers={"Content-Type": "application/json"}), 400, "not valid JSON"),
    (dict(json=[POTHOLE]), 400, "must be an object"),
    (dict(data={**POTHOLE, "service_code": "moon_rock"}), 400, "'moon_rock' is not a service"),
    (dict(data={**POTHOLE, "lat": "91"}), 400, "lat"),
    (dict(data={**POTHOLE, "long": "-181"}), 400, "long"),
    (dict(json={**POTHOLE, "lat": "north"}), 400, "lat: Not a valid number"),
    (dict(json={**POTHOLE, "description": 12}), 400, "description"),
    (dict(data={"service_code": "pothole", "description": "no place", "api_key": TEST_API_KEY}),
     400, "location is required"),
    (dict(data={**POTHOLE, "email": "ada@"}), 400, "email"),
    (dict(data={**POTHOLE, "phone": "555"}), 400, "phone '555' is not a valid number in US"),
    (dict(data={**POTHOLE, "phone": "call me"}), 400, "not a phone number"),
    (dict(data="service_code=pothole", headers={"Content-Type": "text/plain"}), 400,
     "application/x-www-form-urlencoded or application/json"),
    (dict(data="<service_request><service_code>pothole", headers={"Content-Type": "text/xml"}),
     400, "application/x-www-form-urlencoded or application/json"),
    (dict(data=b"api_key=" + TEST_API_KEY.encode() + b"&service_code=%ZZ%%&lat=\xff&long=1",
          headers={"Content-Type": "application/x-www-form-urlencoded"}), 400,
     "not UTF-8"),
    (dict(data={**POTHOLE, "description": "x" * 1_100_000}), 413, "larger than"),
])
def test_bad_input_gets_a_clear_4xx_and_stores_nothing(intake, send, status, says):
    answer = requests.post(f"{intake['base']}/requests.json", timeout=10, **send)

    assert answer.status_code == status, answer.text
    [error] = answer.json()
    assert error["code"] == status
    assert says.lower() in error["description"].lower()
    assert stored_counts(intake) == (0, 0)


@pytest.mark.parametrize("request_id", ["999", "abc", "1e3"])
def test_an_unknown_request_is_404(intake, request_id):
    answer = requests.get(f"{intake['base']}/requests/{request_id}.json", timeout=5)

    assert answer.status_code == 404
    assert answer.json() == [{"code": 404,
                              "description": f"no service request with id '{request_id}'"}]


def test_assignment_and_due_date_reach_the_public_record(intake):
    request_id = requests.post(f"{intake['base']}/requests.json", data=POTHOLE,
                               timeout=5).json()[0]["service_request_id"]
    publish_envelope(intake["AMQP_URI"], make_envelope("request_assigned", request_id, {
        "request_id": request_id, "service_code": "pothole", "jurisdiction_id": "city",
        "department_code": "PWDx", "department_name": "Public Works Department",
        "jurisdiction_name": "City of St. Petersburg",
        "agency_responsible": "City of St. Petersburg — Public Works Department",
        "assigned_at": NOON}))
    publish_envelope(intake["AMQP_URI"], make_envelope("sla_started", request_id, {
        "request_id": request_id, "service_code": "pothole", "department_code": "PWDx",
        "started_at": NOON, "due_at": NOON + timedelta(hours=24)}))

    def shown():
        record = requests.get(f"{intake['base']}/requests/{request_id}.json", timeout=5).json()[0]
        return record if record["expected_datetime"] and record["agency_responsible"] else None

    record = wait_until(shown, message="assignment or due date never shown")
    assert record["agency_responsible"] == "City of St. Petersburg — Public Works Department"
    assert record["expected_datetime"] == "2026-11-25T12:00:00+00:00"


def test_a_retried_post_with_the_same_idempotency_key_makes_one_request(intake):
    url, headers = f"{intake['base']}/requests.json", {"Idempotency-Key": "retry-7"}

    first = requests.post(url, data=POTHOLE, headers=headers, timeout=5)
    again = requests.post(url, data=POTHOLE, headers=headers, timeout=5)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert stored_counts(intake) == (1, 2)  # one request: request_created + contact event
    other = requests.post(url, data={**POTHOLE, "description": "another"}, headers=headers,
                          timeout=5)
    assert other.status_code == 422
    assert "different request" in other.json()[0]["description"]


def test_concurrent_posts_with_one_idempotency_key_make_one_request(intake):
    url, headers = f"{intake['base']}/requests.json", {"Idempotency-Key": "burst"}
    pool = eventlet.GreenPool(5)

    answers = list(pool.imap(lambda _: requests.post(url, data=POTHOLE, headers=headers,
                                                     timeout=10), range(5)))

    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()[0]["service_request_id"] for answer in answers}) == 1
    assert stored_counts(intake)[0] == 1
