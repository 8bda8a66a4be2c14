"""routing against the real broker and PostgreSQL, with the demo directory imported
through its admin API."""
from datetime import datetime, timezone

import pytest
import requests

from loop311_contracts.envelope import make_envelope
from loop311_routing.service import RoutingService
from loop311_sla.service import SlaService
from support import (
    TEST_ADMIN_TOKEN,
    EventTap,
    demo_document,
    import_configuration,
    publish_envelope,
)

ADMIN = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}


def request_created(request_id, service_code="pothole"):
    return make_envelope("request_created", request_id, {
        "request_id": request_id, "service_code": service_code, "service_name": "Pothole",
        "description": "deep", "lat": 42.35, "long": -71.06, "address": None,
        "channel": "web", "contact_ref": None, "requested_at": datetime.now(timezone.utc),
    })


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


def test_assigns_a_request_to_the_department_of_its_category(routing):
    assigned = EventTap(routing["AMQP_URI"], "request_assigned")
    publish_envelope(routing["AMQP_URI"], request_created("17", "graffiti"))

    event = assigned.next()
    assert event["type"] == "request_assigned"
    assert event["subject"] == "17"
    assert event["data"]["department_code"] == "PROP"
    assert event["data"]["department_name"] == "Property Management"
    assert event["data"]["jurisdiction_id"] == "city"


def test_an_unrouted_category_goes_to_triage(routing):
    triage = EventTap(routing["AMQP_URI"], "request_needs_triage")
    publish_envelope(routing["AMQP_URI"], request_created("18", "moon_landing"))

    event = triage.next()
    assert event["data"] == {"request_id": "18", "service_code": "moon_landing",
                             "jurisdiction_id": "city",
                             "reason": "no department handles this service code"}


def test_the_directory_import_needs_the_admin_token_and_is_read_back(started_routing):
    url = admin_url(started_routing, "directory")
    document = demo_document("directory")

    assert requests.put(url, json=document, timeout=10).status_code == 401
    assert requests.put(url, json=document, timeout=10,
                        headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert requests.get(url, timeout=10).status_code == 401
    nothing_yet = requests.get(url, headers=ADMIN, timeout=10)
    assert nothing_yet.status_code == 404

    answer = import_configuration(started_routing, "directory")
    assert answer["kind"] == "directory" and answer["version"] == 1
    assert answer["imported_by"] == "tests"
    assert answer["summary"] == "6 departments, 15 routes"

    current = requests.get(url, headers=ADMIN, timeout=10)
    assert current.status_code == 200
    assert {key: current.json()[key] for key in answer if key != "summary"} == {
        key: value for key, value in answer.items() if key != "summary"}
    assert current.json()["document"] == document


def test_a_bad_directory_is_refused_whole(routing):
    url = admin_url(routing, "directory")
    document = demo_document("directory")
    document["routes"].append({"jurisdiction_id": "city", "service_code": "snow",
                               "department_code": "SNOW"})

    refused = requests.put(url, json=document, headers=ADMIN, timeout=10)

    assert refused.status_code == 400
    assert "city/snow" in refused.json()[0]["description"]
    assert "SNOW" in refused.json()[0]["description"]
    assert requests.get(url, headers=ADMIN, timeout=10).json()["version"] == 1


def test_removing_a_department_requests_are_assigned_to_is_a_conflict(routing):
    assigned = EventTap(routing["AMQP_URI"], "request_assigned")
    publish_envelope(routing["AMQP_URI"], request_created("19", "graffiti"))
    assigned.next()
    document = demo_document("directory")
    document["departments"] = [d for d in document["departments"] if d["code"] != "PROP"]
    document["routes"] = [r for r in document["routes"] if r["department_code"] != "PROP"]

    refused = requests.put(admin_url(routing, "directory"), json=document, headers=ADMIN,
                           timeout=10)

    assert refused.status_code == 409
    assert "PROP" in refused.json()[0]["description"]


def test_sla_policies_import_needs_the_admin_token_and_is_read_back(container_factory,
                                                                   service_config):
    config = service_config("sla")
    container_factory(SlaService, config).start()
    url = admin_url(config, "policies")

    assert requests.put(url, json=demo_document("policies"), timeout=10).status_code == 401
    assert requests.get(url, headers=ADMIN, timeout=10).status_code == 404
    answer = import_configuration(config, "policies")
    assert (answer["version"], answer["summary"]) == (1, "15 policies")
    assert requests.get(url, timeout=10).status_code == 401
    current = requests.get(url, headers=ADMIN, timeout=10).json()
    assert (current["version"], current["document"]) == (1, demo_document("policies"))
