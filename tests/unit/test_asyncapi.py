"""docs/asyncapi.yaml is up to date, covers every public event version and no private one,
is valid AsyncAPI 3.0.0 (the official schema, from npm: `make install`), and its payload
schemas accept the envelopes the services really send."""
import copy
import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

from loop311_contracts.catalog import CATALOG
from loop311_contracts.envelope import make_envelope
from loop311_shared.asyncapi import document, to_yaml

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "asyncapi.yaml"
ASYNCAPI_SCHEMA = ROOT / "devtools/asyncapi/node_modules/@asyncapi/specs/schemas/3.0.0.json"
PUBLIC = [contract for contract in CATALOG.values() if not contract.private]
PRIVATE = [contract for contract in CATALOG.values() if contract.private]
AT = datetime(2026, 11, 24, 12, tzinfo=timezone.utc)
SAMPLES = {
    "request_created": ("42", {
        "request_id": "42", "service_code": "pothole", "service_name": "Pothole",
        "description": "Deep one", "lat": 27.77, "long": -82.64, "address": None,
        "channel": "web", "contact_ref": None, "requested_at": AT, "priority": "normal"}),
    "request_status_changed": ("42", {
        "request_id": "42", "service_code": "pothole", "previous_status": "open",
        "status": "closed", "resolution": "fixed", "public_note": None, "changed_at": AT}),
    "directory_changed": ("directory", {
        "version": 3,
        "jurisdictions": [{"id": "stpete", "name": "St. Petersburg", "parent": "pinellas-county",
                           "population": None, "offers": ["pothole"]}],
        "departments": [{"code": "streets", "jurisdiction": "stpete", "name": "Streets",
                         "supervisor": "s-1", "head": None}]}),
    "resident_rated": ("42", {
        "rating_id": "r-1", "request_id": "42", "service_code": "pothole", "score": None,
        "not_fixed": True, "channel": "sms", "rated_at": AT}),
    "sla_started": ("42", {
        "request_id": "42", "service_code": "pothole", "department_code": "streets",
        "started_at": AT, "due_at": AT, "ack_due_at": None, "policy_id": "p-1",
        "policy_version": 2, "reason": "assigned", "expected_close_at": AT}),
}


@pytest.fixture(scope="module")
def generated():
    return document()


@pytest.fixture(scope="module")
def asyncapi_validator():
    if not ASYNCAPI_SCHEMA.exists():
        pytest.fail(f"{ASYNCAPI_SCHEMA} is missing: run `make install` "
                    "(npm ci --prefix devtools/asyncapi)")
    schema = json.loads(ASYNCAPI_SCHEMA.read_text())

    def offline(uri):
        raise NoSuchResource(ref=uri)  # every $ref must resolve inside the bundled schema

    # The bundle keeps each definition under its own $id (http://asyncapi.com/definitions/
    # 3.0.0/...): crawling the root registers them all for the absolute $refs.
    registry = (DRAFT7.create_resource(schema) @ Registry(retrieve=offline)).crawl()
    return Draft7Validator(schema, registry=registry)


def test_the_committed_document_is_the_generated_one(generated):
    assert DOCUMENT.read_text() == to_yaml(generated), (
        "docs/asyncapi.yaml is stale: regenerate it with "
        "`.venv/bin/python -m loop311_shared.asyncapi > docs/asyncapi.yaml`")


def test_generating_twice_gives_the_same_text():
    assert to_yaml(document()) == to_yaml(document())


def test_every_public_contract_has_a_channel_and_every_version_a_message(generated):
    assert set(generated["channels"]) == {contract.type for contract in PUBLIC}
    for contract in PUBLIC:
        channel = generated["channels"][contract.type]
        assert channel["address"] == contract.type
        assert channel["bindings"]["amqp"]["exchange"]["name"] == contract.exchange
        messages = channel["messages"]
        assert len(messages) == contract.version
        versions = [message["payload"]["properties"]["dataversion"]["const"]
                    for message in messages.values()]
        assert versions == list(range(1, contract.version + 1))
        assert list(messages.values())[-1]["name"] == contract.schema.__name__
        operation = generated["operations"][f"send_{contract.type}"]
        assert operation["action"] == "send"
        assert operation["channel"] == {"$ref": f"#/channels/{contract.type}"}


def test_no_private_contract_or_exchange_appears(generated):
    assert PRIVATE, "the catalog has private contracts to keep out"
    text = to_yaml(generated)
    for contract in PRIVATE:
        assert contract.type not in text
        assert contract.exchange not in text
        assert contract.schema.__name__ not in text
    assert ".private" not in text


def test_the_document_is_valid_asyncapi_3(generated, asyncapi_validator):
    errors = [f"{list(error.absolute_path)}: {error.message}"
              for error in asyncapi_validator.iter_errors(generated)]
    assert errors == []


def _first_operation(doc):
    return next(iter(doc["operations"].values()))


@pytest.mark.parametrize("break_it", [
    pytest.param(lambda doc: doc["channels"]["request_created"].update(address=42), id="address"),
    pytest.param(lambda doc: _first_operation(doc).pop("action"), id="no-action"),
    pytest.param(lambda doc: _first_operation(doc).update(action="publish"), id="v2-action"),
    pytest.param(lambda doc: doc["channels"]["sla_met"]["bindings"]["amqp"]["exchange"]
                 .update(type="fanout-ish"), id="amqp-exchange-type"),
    pytest.param(lambda doc: doc["channels"]["sla_met"]["messages"]["sla_met.v1"]["bindings"]
                 ["amqp"].update(deliveryMode=2), id="delivery-mode-on-message"),
])
def test_validation_rejects_a_broken_document(generated, asyncapi_validator, break_it):
    broken = copy.deepcopy(generated)
    break_it(broken)
    assert not asyncapi_validator.is_valid(broken)


@pytest.mark.parametrize("contract", PUBLIC, ids=lambda contract: contract.type)
def test_every_payload_is_a_valid_json_schema(generated, contract):
    for message in generated["channels"][contract.type]["messages"].values():
        Draft7Validator.check_schema(message["payload"])


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_a_real_envelope_matches_its_current_message_and_no_other(generated, event_type):
    subject, data = SAMPLES[event_type]
    envelope = make_envelope(event_type, subject, data, time=AT)
    messages = generated["channels"][event_type]["messages"]
    matching = [message["name"] for message in messages.values()
                if Draft7Validator(message["payload"]).is_valid(envelope)]
    # AsyncAPI: a message on a channel is valid against one, and only one, of its messages.
    assert matching == [CATALOG[event_type].schema.__name__]


def test_a_payload_schema_rejects_bad_data(generated):
    message = generated["channels"]["request_status_changed"]["messages"]["request_status_changed.v1"]
    subject, data = SAMPLES["request_status_changed"]
    envelope = make_envelope("request_status_changed", subject, data)
    validator = Draft7Validator(message["payload"])
    assert validator.is_valid(envelope)
    for broken in ({**envelope, "data": {**envelope["data"], "status": "lost"}},
                   {**envelope, "data": {k: v for k, v in envelope["data"].items() if k != "request_id"}},
                   {**envelope, "type": "request_created"},
                   {**envelope, "source": "/loop311/sla"}):
        assert not validator.is_valid(broken)


def test_a_version_without_its_schema_class_fails_loudly(monkeypatch):
    monkeypatch.setitem(CATALOG, "sla_met", replace(CATALOG["sla_met"], version=2))
    with pytest.raises(LookupError, match="SlaMetV2"):
        document()
