"""Event envelopes and the catalog, without a broker."""
import json
from datetime import datetime, timezone

import pytest
from marshmallow import Schema, fields

from loop311_contracts.catalog import CATALOG, SUBSCRIPTIONS, EventContract
from loop311_contracts.envelope import PoisonMessage, make_envelope, read_envelope, upcast

ASSIGNED = {"request_id": "5", "service_code": "pothole", "jurisdiction_id": "city",
            "department_code": "PWDx", "department_name": "Public Works Department",
            "jurisdiction_name": "City", "agency_responsible": "City — Public Works Department",
            "assignee_id": "pw-2", "rule_id": "streets",
            "assigned_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)}


def test_an_envelope_is_cloudevents_structured_json_of_plain_values():
    envelope = make_envelope("request_assigned", "5", ASSIGNED)

    assert json.loads(json.dumps(envelope)) == envelope
    assert envelope["specversion"] == "1.0"
    assert envelope["type"] == "request_assigned"
    assert envelope["source"] == "/loop311/routing"
    assert envelope["subject"] == "5"
    assert envelope["dataversion"] == CATALOG["request_assigned"].version == 3
    assert envelope["data"]["assigned_at"] == "2026-01-02T03:04:05+00:00"
    datetime.fromisoformat(envelope["time"])


def test_reading_an_envelope_loads_typed_data():
    event = read_envelope(json.loads(json.dumps(make_envelope("request_assigned", "5", ASSIGNED))))

    assert event.type == "request_assigned"
    assert event.subject == "5"
    assert event.data == ASSIGNED


def test_data_that_breaks_its_schema_is_never_put_in_an_envelope():
    with pytest.raises(ValueError, match="department_name"):
        make_envelope("request_assigned", "5", {**ASSIGNED, "department_name": None})


def valid():
    return make_envelope("request_assigned", "5", ASSIGNED)


@pytest.mark.parametrize("body, reason", [
    ("not an object", "not a JSON object"),
    ({k: v for k, v in valid().items() if k != "id"}, "invalid CloudEvents envelope"),
    ({**valid(), "specversion": "0.3"}, "invalid CloudEvents envelope"),
    ({**valid(), "type": "request_teleported"}, "unknown event type"),
    ({**valid(), "data": {**valid()["data"], "assigned_at": "yesterday"}}, "invalid request_assigned data"),
    ({**valid(), "dataversion": 4}, "version 4 is not one this consumer knows"),
])
def test_unreadable_messages_are_poison(body, reason):
    with pytest.raises(PoisonMessage, match=reason):
        read_envelope(body)


class NoteV2(Schema):
    request_id = fields.String(required=True)
    text = fields.String(required=True)
    visibility = fields.String(required=True)


def test_a_stored_v1_payload_is_upcast_for_todays_consumer():
    # v1 called the text `note` and had no visibility; v2 renamed it and made everything
    # written before v2 public.
    contract = EventContract("request_noted", 2, "intake", NoteV2, upcasters={
        1: lambda data: {"request_id": data["request_id"], "text": data["note"],
                         "visibility": "public"},
    })
    stored_v1 = {"request_id": "12", "note": "crew on site"}

    data = NoteV2().load(upcast(contract, 1, stored_v1))

    assert data == {"request_id": "12", "text": "crew on site", "visibility": "public"}
    with pytest.raises(PoisonMessage):
        upcast(contract, 3, stored_v1)


def test_every_subscription_names_a_catalog_event():
    for consumer, event_types in SUBSCRIPTIONS.items():
        for event_type in event_types:
            assert event_type in CATALOG, f"{consumer} subscribes to unknown {event_type}"
            assert CATALOG[event_type].source != consumer


def test_private_contracts_go_to_private_exchanges_and_the_rest_to_public_ones():
    for contract in CATALOG.values():
        assert contract.version >= 1
        expected = "private" if contract.private else "events"
        assert contract.exchange == f"{contract.source}.{expected}"
    assert CATALOG["resident_contact_recorded"].private


def test_a_v2_assignment_loses_the_assignees_name_when_read_as_v3():
    envelope = make_envelope("request_assigned", "5", ASSIGNED)
    v2_data = {**envelope["data"], "assignee_name": "Crew lead"}

    event = read_envelope({**envelope, "dataversion": 2, "data": v2_data})

    assert "assignee_name" not in event.data
    assert event.data["assignee_id"] == "pw-2"


def test_a_v1_assignment_still_reads_as_todays_request_assigned():
    envelope = make_envelope("request_assigned", "5", ASSIGNED)
    v1_data = {name: value for name, value in envelope["data"].items() if name in (
        "request_id", "service_code", "jurisdiction_id", "department_code", "department_name",
        "assigned_at")}

    event = read_envelope({**envelope, "dataversion": 1, "data": v1_data})

    assert event.data["agency_responsible"] == "Public Works Department"
    assert event.data["jurisdiction_name"] == "city"
    assert event.data["assignee_id"] is None and event.data["rule_id"] is None


def test_a_v1_triage_still_reads_with_its_reason_code():
    envelope = make_envelope("request_needs_triage", "5", {
        "request_id": "5", "service_code": "snow", "jurisdiction_id": "city",
        "reason_code": "no_matching_rule", "reason": "no department handles this service code"})
    v1_data = {k: v for k, v in envelope["data"].items() if k != "reason_code"}

    event = read_envelope({**envelope, "dataversion": 1, "data": v1_data})

    assert event.data["reason_code"] == "no_matching_rule"
