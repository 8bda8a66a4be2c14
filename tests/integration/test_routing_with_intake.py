"""intake and routing together on the real broker: a request is placed by where it is, a
corrected category reaches the public record, and two routing replicas assign once."""
import re

import pytest
import requests

from loop311_routing.service import RoutingService
from support import (
    TEST_API_KEY,
    EventTap,
    free_port,
    import_configuration,
    publish_envelope,
    request_created,
    wait_until,
)

STAFF = {"Authorization": "Bearer crew-token"}
ST_PETERSBURG = {"lat": "27.7705", "long": "-82.6383"}


@pytest.fixture
def platform(start_intake, container_factory, service_config, rabbit_config):
    intake = start_intake(service_config("intake", STAFF_API_TOKENS="alice:crew-token"))
    routing = service_config("routing", STAFF_API_TOKENS="alice:crew-token")
    container_factory(RoutingService, routing).start()
    import_configuration(routing, "directory")
    return {"intake": f"http://{intake['WEB_SERVER_ADDRESS']}",
            "routing": f"http://{routing['WEB_SERVER_ADDRESS']}"}


def public(platform, request_id):
    return requests.get(f"{platform['intake']}/open311/v2/requests/{request_id}.json",
                        params={"extensions": "true"}, timeout=5).json()[0]


def test_a_corrected_category_reaches_open311_with_its_new_agency(platform):
    answer = requests.post(f"{platform['intake']}/open311/v2/requests.json", timeout=5, data={
        "api_key": TEST_API_KEY, "service_code": "rodent", "description": "a hole, not rats",
        **ST_PETERSBURG})
    request_id = answer.json()[0]["service_request_id"]
    wait_until(lambda: public(platform, request_id)["agency_responsible"],
               message="never assigned")
    assert public(platform, request_id)["agency_responsible"].startswith("Pinellas County")

    moved = requests.post(f"{platform['routing']}/staff/v1/requests/{request_id}/assignment",
                          json={"service_code": "pothole", "reason": "the photo shows a pothole"},
                          headers=STAFF, timeout=5)

    assert moved.status_code == 200, moved.text
    shown = wait_until(lambda: (r := public(platform, request_id))["service_code"] == "pothole"
                       and r, message="the correction never reached Open311")
    assert shown["agency_responsible"].startswith("City of St. Petersburg")
    assert any("Category corrected from rodent to pothole" in note["summary"]
               for note in shown["notes"])
    trail = requests.get(f"{platform['routing']}/staff/v1/requests/{request_id}/assignment",
                         headers=STAFF, timeout=5).json()
    assert [(m["from_service_code"], m["to_service_code"], m["moved_by"]) for m in trail["moves"]] \
        == [("rodent", "pothole", "alice")]


def test_moves_and_queues_need_a_staff_token(platform):
    for path in ("/staff/v1/queues/triage", "/staff/v1/requests/1/assignment"):
        assert requests.get(f"{platform['routing']}{path}", timeout=5).status_code == 401
    refused = requests.post(f"{platform['routing']}/staff/v1/requests/1/assignment",
                            json={"assignee": "x", "reason": "r"}, timeout=5)
    assert refused.status_code == 401


def test_a_bad_move_says_what_is_wrong(platform):
    answer = requests.post(f"{platform['routing']}/staff/v1/requests/1/assignment",
                           json={"reason": "why not"}, headers=STAFF, timeout=5)
    assert answer.status_code == 400
    assert "say where it goes" in answer.json()[0]["description"]


def test_two_routing_replicas_assign_each_request_once(container_factory, service_config):
    first = service_config("routing")
    second = {**first, "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}"}
    for config in (first, second):
        container_factory(RoutingService, config).start()
    import_configuration(first, "directory")
    assigned = EventTap(first["AMQP_URI"], "request_assigned")

    envelopes = [request_created(str(n), lat=27.7705 + n * 0.001) for n in range(20)]
    for envelope in envelopes + envelopes[:5]:  # five delivered twice
        publish_envelope(first["AMQP_URI"], envelope)

    def handled(outcome):
        return sum(metric(config, outcome) for config in (first, second))
    wait_until(lambda: handled("applied") == 20 and handled("duplicate") == 5,
               message="not every delivery was handled")
    seen = assigned.drain()
    assert sorted((event["subject"] for event in seen), key=int) == [str(n) for n in range(20)]


def metric(config, outcome):
    body = requests.get(f"http://{config['WEB_SERVER_ADDRESS']}/metrics", timeout=5).text
    pattern = (r'loop311_entrypoint_calls_total\{entrypoint="handle_request_created",'
               rf'outcome="{outcome}",service="routing"\}} (\S+)')
    found = re.search(pattern, body)
    return float(found[1]) if found else 0.0


def test_each_jurisdiction_routing_announces_is_an_open311_jurisdiction_id(platform):
    def services(jurisdiction_id):
        return requests.get(f"{platform['intake']}/open311/v2/services.json",
                            params={"jurisdiction_id": jurisdiction_id}, timeout=5)

    listed = wait_until(lambda: services("clearwater").status_code == 200 and services("clearwater"),
                        message="intake never learned the jurisdictions")
    assert {"pothole", "drainage", "general"} <= {s["service_code"] for s in listed.json()}
    assert services("atlantis").status_code == 404
    posted = requests.post(f"{platform['intake']}/open311/v2/requests.json", timeout=5, data={
        "api_key": TEST_API_KEY, "service_code": "pothole", "jurisdiction_id": "st-petersburg",
        "attribute[size]": "small", **ST_PETERSBURG})
    assert posted.status_code == 201


def test_a_queue_filtered_by_area_names_a_place_in_the_directory(platform):
    def triage(area):
        return requests.get(f"{platform['routing']}/staff/v1/queues/triage", headers=STAFF,
                            params={"area": area}, timeout=5)

    assert triage("st-petersburg").json()["total"] == 0
    missing = triage("atlantis")
    assert missing.status_code == 404 and "atlantis" in missing.json()[0]["description"]
