"""routing against the real broker and PostgreSQL."""
from datetime import datetime, timezone

import pytest

from loop311_routing.service import RoutingService
from loop311_shared.envelope import make_envelope
from support import EventTap, publish_envelope


def request_created(request_id, service_code="pothole"):
    return make_envelope("request_created", request_id, {
        "request_id": request_id, "service_code": service_code, "service_name": "Pothole",
        "description": "deep", "lat": 42.35, "long": -71.06, "address": None,
        "channel": "web", "contact_ref": None, "requested_at": datetime.now(timezone.utc),
    })


@pytest.fixture
def routing(container_factory, service_config):
    config = service_config("routing")
    container = container_factory(RoutingService, config)
    container.start()
    return config


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
