"""CloudEvents 1.0 structured JSON envelopes around the catalog's event data."""
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate

from .catalog import CATALOG, EventContract, contract_for

SPEC_VERSION = "1.0"


class PoisonMessage(Exception):
    """A message no retry can fix (unreadable envelope, unknown type, invalid data).

    Consumers dead-letter it at once instead of retrying it.
    """


class EnvelopeSchema(Schema):
    specversion = fields.String(required=True, validate=validate.Equal(SPEC_VERSION))
    id = fields.String(required=True)
    source = fields.String(required=True)
    type = fields.String(required=True)
    time = fields.AwareDateTime(required=True)
    subject = fields.String(required=True)
    datacontenttype = fields.String(load_default="application/json")
    dataversion = fields.Integer(required=True, strict=True)
    data = fields.Dict(required=True)

    class Meta:
        unknown = "exclude"


ENVELOPE = EnvelopeSchema()


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    subject: str
    time: datetime
    data: dict


def make_envelope(event_type: str, subject: str, data: dict, *, time: datetime | None = None) -> dict:
    contract = contract_for(event_type)
    wire_data = contract.codec.dump(data)
    errors = contract.codec.validate(wire_data)
    if errors:
        raise ValueError(f"{event_type} data does not match its schema: {errors}")
    return {
        "specversion": SPEC_VERSION,
        "id": str(uuid.uuid4()),
        "source": f"/loop311/{contract.source}",
        "type": event_type,
        "time": (time or datetime.now(timezone.utc)).isoformat(),
        "subject": subject,
        "datacontenttype": "application/json",
        "dataversion": contract.version,
        "data": wire_data,
    }


def envelope_of(event: Event) -> dict:
    """The envelope of an event read with `read_envelope`, as its current version: what
    went on the bus, upcast (webhooks forward it)."""
    contract = contract_for(event.type)
    return {"specversion": SPEC_VERSION, "id": event.id, "source": f"/loop311/{contract.source}",
            "type": event.type, "time": event.time.isoformat(), "subject": event.subject,
            "datacontenttype": "application/json", "dataversion": contract.version,
            "data": contract.codec.dump(event.data)}


def read_envelope(body) -> Event:
    """Validate an incoming envelope, upcast old data versions, and load the data."""
    if not isinstance(body, dict):
        raise PoisonMessage(f"event body is {type(body).__name__}, not a JSON object")
    try:
        envelope = ENVELOPE.load(body)
    except ValidationError as exc:
        raise PoisonMessage(f"invalid CloudEvents envelope: {exc.messages}") from exc
    contract = CATALOG.get(envelope["type"])
    if contract is None:
        raise PoisonMessage(f"unknown event type {envelope['type']!r}")
    data = upcast(contract, envelope["dataversion"], envelope["data"])
    try:
        loaded = contract.codec.load(data)
    except ValidationError as exc:
        raise PoisonMessage(f"invalid {contract.type} data: {exc.messages}") from exc
    return Event(envelope["id"], envelope["type"], envelope["subject"], envelope["time"], loaded)


def upcast(contract: EventContract, version: int, data: dict) -> dict:
    if not 1 <= version <= contract.version:
        raise PoisonMessage(f"{contract.type} version {version} is not one this consumer knows")
    while version < contract.version:
        data = contract.upcasters[version](data)
        version += 1
    return data
