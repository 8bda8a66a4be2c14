"""Duplicate reports fold into the first open one; some categories need a contact."""
import pytest
import requests
from sqlalchemy import func, select

from loop311_intake.domain.duplicates import DuplicatePolicy, distance_m, neighbourhood_keys
from loop311_intake.models import followers, service_requests
from loop311_shared.db import make_engine
from support import TEST_API_KEY, EventTap


@pytest.fixture
def intake(start_intake, service_config):
    config = service_config("intake", STAFF_API_TOKENS="alice:crew-token",
                            DUPLICATE_RADIUS_METERS=50, DUPLICATE_WINDOW_HOURS=72)
    start_intake(config)
    config["base"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    return config


def report(intake, status=201, **fields):
    answer = requests.post(f"{intake['base']}/open311/v2/requests.json", timeout=5, data={
        "api_key": TEST_API_KEY, "service_code": "tree", "lat": "42.35000", "long": "-71.06000",
        **fields})
    assert answer.status_code == status, answer.text
    return answer.json()[0]


def count(intake, table):
    engine = make_engine(intake["DATABASE_URL"])
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return total


def test_a_second_report_nearby_follows_the_first(intake):
    followed = EventTap(intake["AMQP_URI"], "request_followed")
    first = report(intake, email="first@example.org")

    # 0.0003 degrees of latitude is about 33 m
    second = report(intake, lat="42.35030", email="second@example.org")

    assert second["service_request_id"] == first["service_request_id"]
    assert "already reported" in second["service_notice"]
    assert count(intake, service_requests) == 1
    assert count(intake, followers) == 1
    event = followed.next()
    assert event["subject"] == first["service_request_id"]
    assert event["data"]["follower_contact_ref"]
    assert "second@example.org" not in str(event)


def test_reports_far_apart_of_another_kind_or_of_a_closed_request_are_new(intake):
    first = report(intake)["service_request_id"]
    assert report(intake, lat="42.35100")["service_request_id"] != first  # ~110 m away
    assert report(intake, service_code="graffiti")["service_request_id"] != first
    closed = requests.post(f"{intake['base']}/staff/v1/requests/{first}/status", timeout=5,
                           json={"status": "closed", "resolution": "fixed", "note": "Patched."},
                           headers={"Authorization": "Bearer crew-token"})
    assert closed.status_code == 200
    assert report(intake)["service_request_id"] != first
    assert count(intake, service_requests) == 4


def test_code_enforcement_reports_cannot_be_anonymous(intake):
    refused = report(intake, status=400, service_code="housing")
    assert "cannot be anonymous" in refused["description"]
    assert count(intake, service_requests) == 0
    assert report(intake, service_code="housing", phone="+1 617 555 0100")["service_request_id"]


def test_distances_are_great_circle_metres():
    assert distance_m(42.35, -71.06, 42.35, -71.06) == 0
    assert 110 < distance_m(42.35, -71.06, 42.351, -71.06) < 112
    assert 5_200_000 < distance_m(42.36, -71.06, 51.51, -0.13) < 5_330_000  # Boston-London


def test_reports_that_could_be_duplicates_share_a_lock_and_far_ones_do_not():
    policy = DuplicatePolicy(radius_m=50)
    here = set(neighbourhood_keys("tree", 42.35, -71.06, policy))
    # 40 m apart, on either side of a grid line at 42.35 - one of them must wait
    assert here & set(neighbourhood_keys("tree", 42.34999, -71.06, policy))
    assert here & set(neighbourhood_keys("tree", 42.35036, -71.06, policy))
    assert not here & set(neighbourhood_keys("tree", 42.40, -71.06, policy))
    assert not here & set(neighbourhood_keys("pothole", 42.35, -71.06, policy))
    assert neighbourhood_keys("tree", None, None, policy) == []
