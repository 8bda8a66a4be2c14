"""The channel is the entrypoint's, never the body's; the catalog is configuration that an
authenticated admin imports as a whole or not at all."""
import copy

import pytest
import requests
from sqlalchemy import select

from loop311_intake.models import service_requests
from loop311_shared.db import make_engine
from support import TEST_ADMIN_TOKEN, TEST_API_KEY, EventTap, demo_document

ADMIN = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}
PLACE = {"lat": "42.3594", "long": "-71.0587"}
GRAFFITI = {"api_key": TEST_API_KEY, "service_code": "graffiti", "description": "tag", **PLACE}


@pytest.fixture
def intake(start_intake, service_config):
    config = start_intake(service_config("intake"))
    config["base"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    return config


def post(intake, **fields):
    return requests.post(f"{intake['base']}/open311/v2/requests.json", data=fields, timeout=5)


def stored_channels(intake):
    engine = make_engine(intake["DATABASE_URL"])
    with engine.connect() as connection:
        channels = connection.execute(select(service_requests.c.channel)).scalars().all()
    engine.dispose()
    return channels


def put_catalog(intake, document, headers=ADMIN):
    return requests.put(f"{intake['base']}/admin/v1/catalog", json=document, headers=headers,
                        timeout=10)


def offered(intake):
    services = requests.get(f"{intake['base']}/open311/v2/services.json", timeout=5).json()
    return {service["service_code"] for service in services}


def test_a_public_post_cannot_claim_the_email_channel_to_skip_the_location(intake):
    answer = post(intake, api_key=TEST_API_KEY, service_code="graffiti", channel="email",
                  description="no place given")

    assert answer.status_code == 400
    assert "a location is required" in answer.json()[0]["description"]
    assert stored_channels(intake) == []


def test_a_public_post_that_says_phone_is_stored_and_announced_as_web(intake):
    created = EventTap(intake["AMQP_URI"], "request_created")

    answer = post(intake, **GRAFFITI, channel="phone")

    assert answer.status_code == 201
    assert stored_channels(intake) == ["web"]
    assert created.next()["data"]["channel"] == "web"


def test_the_catalog_import_needs_an_admin_token(intake):
    for headers in ({}, {"Authorization": "Bearer test-client-key"}):
        answer = put_catalog(intake, demo_document("catalog"), headers)
        assert answer.status_code == 401
    assert requests.get(f"{intake['base']}/admin/v1/catalog", timeout=5).status_code == 401


def broken(change):
    document = demo_document("catalog")
    change(document)
    return document


@pytest.mark.parametrize("document, says", [
    (broken(lambda d: d.update(format="loop311.catalog/9")), "format must be loop311.catalog/1"),
    (broken(lambda d: d["services"].append(copy.deepcopy(d["services"][0]))),
     "service codes repeated: pothole"),
    (broken(lambda d: d.update(services=[s for s in d["services"]
                                         if s["service_code"] != "general"])),
     "needs a 'general' service"),
    (broken(lambda d: d["services"][0]["attributes"][0].pop("values")),
     "a singlevaluelist attribute needs values"),
    (broken(lambda d: d["services"][0].update(service_code="Pot Hole")), "service_code must be"),
    (broken(lambda d: d["services"][1].pop("service_name")), "service_name"),
    ({"format": "loop311.catalog/1"}, "services"),
    (broken(lambda d: d.update(jurisdiction_id="county")),
     "this catalog is for jurisdiction_id 'county'; this intake serves 'pinellas-county'"),
])
def test_a_bad_catalog_is_refused_whole_and_changes_nothing(intake, document, says):
    before = requests.get(f"{intake['base']}/admin/v1/catalog", headers=ADMIN, timeout=5).json()

    answer = put_catalog(intake, document)

    assert answer.status_code == 400, answer.text
    assert says in answer.json()[0]["description"]
    after = requests.get(f"{intake['base']}/admin/v1/catalog", headers=ADMIN, timeout=5).json()
    assert after == before
    assert "pothole" in offered(intake)


def test_a_new_catalog_version_retires_what_it_leaves_out_and_keeps_old_requests(intake):
    request_id = post(intake, **GRAFFITI).json()[0]["service_request_id"]
    document = demo_document("catalog")
    document["services"] = [s for s in document["services"] if s["service_code"] != "graffiti"]

    answer = put_catalog(intake, document)

    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2 and answer.json()["imported_by"] == "tests"
    assert "graffiti" not in offered(intake)
    refused = post(intake, **GRAFFITI)
    assert refused.status_code == 400 and "not a service we offer" in refused.text
    old = requests.get(f"{intake['base']}/open311/v2/requests/{request_id}.json", timeout=5)
    assert old.json()[0]["service_name"] == "Graffiti Removal"
    exported = requests.get(f"{intake['base']}/admin/v1/catalog", headers=ADMIN, timeout=5).json()
    assert exported["version"] == 2
    assert [s["service_code"] for s in exported["document"]["services"]] == \
        [s["service_code"] for s in document["services"]]


def test_unknown_paths_and_methods_answer_in_json(intake):
    missing = requests.get(f"{intake['base']}/open311/v2/services.csv", timeout=5)
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404
    wrong = requests.delete(f"{intake['base']}/admin/v1/catalog", timeout=5)
    assert wrong.status_code == 405
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PUT"}
