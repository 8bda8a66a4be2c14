"""routing against the real broker and PostgreSQL, with the demo directory imported
through its admin API."""

import pytest
import requests

from loop311_routing.schemas import DirectorySchema
from loop311_routing.service import RoutingService
from support import (
    TEST_ADMIN_TOKEN,
    EventTap,
    demo_document,
    import_configuration,
    publish_envelope,
    request_created,
)

ADMIN = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}



@pytest.fixture
def started_routing(container_factory, service_config):
    config = service_config("routing")
    container_factory(RoutingService, config).start()
    return config


@pytest.fixture
def routing(started_routing):
    import_configuration(started_routing, "directory")
    return started_routing


def admin_url(config, kind):
    return f"http://{config['WEB_SERVER_ADDRESS']}/admin/v1/{kind}"


def test_a_pothole_in_st_petersburg_is_assigned_to_the_city(routing):
    assigned = EventTap(routing["AMQP_URI"], "request_assigned")
    publish_envelope(routing["AMQP_URI"], request_created("17"))

    event = assigned.next()
    assert (event["type"], event["subject"], event["dataversion"]) == ("request_assigned", "17", 3)
    assert event["data"]["jurisdiction_id"] == "st-petersburg"
    assert event["data"]["agency_responsible"] == (
        "City of St. Petersburg — Stormwater, Pavement & Traffic Operations")
    assert "assignee_name" not in event["data"]  # contact detail: never public


def test_a_report_from_across_the_bay_goes_to_triage(routing):
    triage = EventTap(routing["AMQP_URI"], "request_needs_triage")
    publish_envelope(routing["AMQP_URI"], request_created("18", lat=27.9506, long=-82.4572))

    event = triage.next()
    assert event["data"]["reason_code"] == "outside_every_jurisdiction"
    assert event["data"]["jurisdiction_id"] == ""


def test_the_directory_import_needs_the_admin_token_and_is_read_back(started_routing):
    url = admin_url(started_routing, "directory")
    document = demo_document("directory")

    assert requests.put(url, json=document, timeout=10).status_code == 401
    assert requests.put(url, json=document, timeout=10,
                        headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers=ADMIN, timeout=10).status_code == 404

    answer = import_configuration(started_routing, "directory")
    assert (answer["kind"], answer["version"], answer["imported_by"]) == ("directory", 1, "tests")
    assert answer["summary"] == "25 jurisdictions, 29 departments, 31 rules"

    current = requests.get(url, headers=ADMIN, timeout=10).json()
    assert current["version"] == 1 and current["sha256"] == answer["sha256"]
    assert [j["id"] for j in current["document"]["jurisdictions"]] == [
        j["id"] for j in document["jurisdictions"]]
    # The export is the document with its defaults filled in: it imports back as it is.
    assert DirectorySchema().load(current["document"])["rules"] == \
        DirectorySchema().load(document)["rules"]


def test_a_bad_directory_is_refused_whole(routing):
    url = admin_url(routing, "directory")
    document = demo_document("directory")
    document["jurisdictions"][1]["boundary"]["coordinates"][0].pop()  # no longer closed

    refused = requests.put(url, json=document, headers=ADMIN, timeout=10)

    assert refused.status_code == 400
    assert "not closed" in refused.json()[0]["description"]
    assert requests.get(url, headers=ADMIN, timeout=10).json()["version"] == 1


def test_removing_a_department_requests_are_assigned_to_is_a_conflict(routing):
    assigned = EventTap(routing["AMQP_URI"], "request_assigned")
    publish_envelope(routing["AMQP_URI"], request_created("19"))
    department = assigned.next()["data"]["department_code"]
    document = demo_document("directory")
    document["departments"] = [d for d in document["departments"] if d["code"] != department]
    document["rules"] = [r for r in document["rules"] if r["department"] != department]

    refused = requests.put(admin_url(routing, "directory"), json=document, headers=ADMIN,
                           timeout=10)

    assert refused.status_code == 409
    assert department in refused.json()[0]["description"]
