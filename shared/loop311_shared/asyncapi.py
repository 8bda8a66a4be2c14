"""The AsyncAPI 3.0 document of Loop311's public events, generated from the contracts:
every public type's channel (its routing key on its service's topic exchange) with one
message per data version, each the CloudEvents envelope around that version's marshmallow
schema (apispec's marshmallow plugin, as for the OpenAPI documents). Private contracts are
left out entirely: integrators are never given those exchanges.

    python -m loop311_shared.asyncapi > docs/asyncapi.yaml
"""
import importlib.metadata
import sys

import yaml
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from loop311_contracts import schemas
from loop311_contracts.catalog import CATALOG, EventContract
from loop311_contracts.envelope import EnvelopeSchema

AMQP_BINDING_VERSION = "0.3.0"  # the AMQP bindings AsyncAPI 3.0.0 validates against
PERSISTENT = 2  # AMQP delivery mode, as topology.event_exchange publishes
DESCRIPTION = """\
Every public event Loop311 publishes, on RabbitMQ (AMQP 0-9-1). Bind a durable queue of your
own to a service's topic exchange (`intake.events`, `routing.events`, `sla.events`) with the
event types you want as routing keys (`#` for all).

- Each message body is a CloudEvents 1.0 envelope in structured JSON mode; `data` holds the
  event and `dataversion` is the version of its contract (of `data`'s schema).
- Delivery is at least once: services write events to an outbox in the same transaction as
  their state and publish them with publisher confirms, so an event may come twice.
  Deduplicate on the envelope `id` (also the AMQP `message_id`).
- Messages are persistent (delivery mode 2) on durable topic exchanges.
- Each channel lists every version up to the current one: Loop311 publishes the current
  version, the older ones are listed for consumers still reading them (events published
  or queued before an upgrade). Versions only add fields, except where privacy took one
  away (request_assigned v3 and request_reassigned v2 dropped `assignee_name`).
- There is no ordering guarantee across event types (nor across replicas for one request).
- Every public event is also kept on the stream `loop311.replay` (30 days by default): read
  it from a point in time with the consumer argument `x-stream-offset` (a timestamp).
- Integrators get a broker user of their own from notify's admin API
  (`POST /integrations/v1/integrators`); signed webhooks are the other way in. See
  docs/integrators/README.md.
"""

# Inline nested schemas (no name, no $ref), so every payload is a self-contained JSON Schema.
_converter = MarshmallowPlugin(schema_name_resolver=lambda schema: None)
# Attaching a spec builds the converter; OpenAPI 3.1 is plain JSON Schema, so allow_none
# fields become `type: [..., "null"]` (3.0's `nullable` is not JSON Schema).
APISpec(title="Loop311 events", version="1", openapi_version="3.1.0", plugins=[_converter])


def document() -> dict:
    public = [contract for contract in CATALOG.values() if not contract.private]
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Loop311 events", "version": importlib.metadata.version("loop311-contracts"),
                 "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
                              "description": "The broker `make run` uses (RabbitMQ, vhost `/`)."}},
        "channels": {contract.type: channel(contract) for contract in public},
        "operations": {f"send_{contract.type}": operation(contract) for contract in public},
    }


def channel(contract: EventContract) -> dict:
    return {
        "address": contract.type,  # the routing key
        "description": f"{contract.source} publishes it on the `{contract.exchange}` topic exchange; "
                       f"current version {contract.version}.",
        "messages": {message_id(contract, version): message(contract, version)
                     for version in range(1, contract.version + 1)},
        "bindings": {"amqp": {
            "is": "routingKey",
            "exchange": {"name": contract.exchange, "type": "topic", "durable": True,
                         "autoDelete": False, "vhost": "/"},
            "bindingVersion": AMQP_BINDING_VERSION,
        }},
    }


def message(contract: EventContract, version: int) -> dict:
    schema_class = data_schema_class(contract.type, version)
    state = "current version" if version == contract.version else "older version, upcast by consumers"
    found = {
        "name": schema_class.__name__,
        "title": f"{contract.type} v{version}",
        "summary": f"{contract.type}, data version {version} ({state}).",
        "contentType": "application/json",
        "payload": envelope_schema(contract, version, schema_class),
        # Only bindingVersion: the AMQP message binding has no delivery mode (that is the
        # operation's), and Loop311 sets neither contentEncoding nor the AMQP `type`.
        "bindings": {"amqp": {"bindingVersion": AMQP_BINDING_VERSION}},
    }
    if schema_class.__doc__:  # the class's own docstring, not one it inherits
        found["description"] = " ".join(schema_class.__doc__.split())
    return found


def operation(contract: EventContract) -> dict:
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{contract.type}"},
        "title": f"{contract.source} publishes {contract.type}",
        # Loop311 sends the current version; older ones are in the channel for readers only.
        "messages": [{"$ref": f"#/channels/{contract.type}/messages/"
                              f"{message_id(contract, contract.version)}"}],
        "bindings": {"amqp": {"deliveryMode": PERSISTENT, "bindingVersion": AMQP_BINDING_VERSION}},
    }


def message_id(contract: EventContract, version: int) -> str:
    return f"{contract.type}.v{version}"


def data_schema_class(event_type: str, version: int) -> type:
    """`request_created`, 2 -> schemas.RequestCreatedV2 (the naming schemas.py follows)."""
    name = "".join(part.capitalize() for part in event_type.split("_")) + f"V{version}"
    found = getattr(schemas, name, None)
    if found is None:
        raise LookupError(f"{event_type} v{version} has no schema class {name} in loop311_contracts.schemas")
    return found


def envelope_schema(contract: EventContract, version: int, data_class: type) -> dict:
    # From envelope.py's EnvelopeSchema, so the envelope is described once; then pinned to
    # this type, source and version.
    envelope = _converter.converter.schema2jsonschema(EnvelopeSchema)
    properties = envelope["properties"]
    properties["id"]["description"] = "Unique per event: deduplicate on it (delivery is at least once)."
    properties["source"]["const"] = f"/loop311/{contract.source}"
    properties["type"]["const"] = contract.type
    properties["dataversion"]["const"] = version
    properties["data"] = _converter.converter.schema2jsonschema(data_class)
    return envelope


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True  # write shared sub-dicts out in full: no &id001 anchors in the document


def _string(dumper, text):
    style = "|" if "\n" in text else None  # multi-line descriptions as readable blocks
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _string)


def to_yaml(found: dict) -> str:
    return yaml.dump(found, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def main() -> None:
    sys.stdout.write(to_yaml(document()))  # deterministic: catalog order, field order


if __name__ == "__main__":
    main()
