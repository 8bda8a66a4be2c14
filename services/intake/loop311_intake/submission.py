"""Accept a new service request: store it and its events in one transaction."""
import uuid

from marshmallow import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow
from loop311_shared.errors import BadRequest
from loop311_shared.outbox import record_event

from .attributes import checked_attributes
from .contacts import normalised_email, normalised_phone
from .models import contacts, outbox, request_notes, service_catalog, service_requests
from .schemas import SubmitRequestSchema

CONTACT_FIELDS = ("email", "phone", "first_name", "last_name")


def submit_request(session: Session, fields: dict, attributes: dict | None = None,
                   phone_region: str = "US", remember=None) -> dict:
    """Validate, store and announce a request; return its public id and token.

    `remember(answer)`, if given, runs inside the same transaction.
    """
    try:
        data = SubmitRequestSchema().load(fields)
    except ValidationError as exc:
        raise BadRequest(_describe(exc.messages)) from exc
    service = session.execute(
        select(service_catalog).where(service_catalog.c.service_code == data["service_code"])
    ).first()
    if service is None:
        raise BadRequest(f"service_code {data['service_code']!r} is not a service we offer")
    typed_attributes = checked_attributes(session, service.service_code, attributes or {})

    contact = {name: data[name] for name in CONTACT_FIELDS if data.get(name)}
    if "email" in contact:
        contact["email"] = normalised_email(contact["email"])
    if "phone" in contact:
        contact["phone"] = normalised_phone(contact["phone"], phone_region)
    contact_ref = str(uuid.uuid4()) if contact else None
    if contact_ref:
        session.execute(insert(contacts).values(contact_ref=contact_ref, **contact))
    now = utcnow()
    token = str(uuid.uuid4())
    row_id = session.execute(insert(service_requests).values(
        service_code=service.service_code, description=data["description"],
        lat=data.get("lat"), long=data.get("long"), address=data.get("address_string"),
        address_id=data.get("address_id"), media_url=data.get("media_url"),
        attributes=typed_attributes, channel=data["channel"], contact_ref=contact_ref,
        status="open", requested_at=now, updated_at=now, token=token,
    )).inserted_primary_key[0]
    request_id = str(row_id)
    session.execute(insert(request_notes).values(
        request_id=row_id, type="opened", summary="Request received", datetime=now))

    record_event(session, outbox, "request_created", request_id, {
        "request_id": request_id,
        "service_code": service.service_code,
        "service_name": service.service_name,
        "description": data["description"],
        "lat": data.get("lat"),
        "long": data.get("long"),
        "address": data.get("address_string"),
        "channel": data["channel"],
        "contact_ref": contact_ref,
        "requested_at": now,
    })
    if contact_ref:
        record_event(session, outbox, "resident_contact_recorded", request_id,
                     {"contact_ref": contact_ref, "request_id": request_id, **contact})
    answer = {"service_request_id": request_id, "token": token}
    if remember:
        remember(answer)
    session.commit()
    return answer


def _describe(messages: dict) -> str:
    return "; ".join(
        f"{field}: {' '.join(errors) if isinstance(errors, list) else errors}"
        for field, errors in sorted(messages.items())
    )
