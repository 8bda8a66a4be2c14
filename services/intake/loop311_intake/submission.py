"""Accept a new service request: store it and its events in one transaction."""
import uuid

from marshmallow import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from loop311_shared.clock import utcnow
from loop311_shared.db import lock_for_transaction
from loop311_shared.errors import BadRequest
from loop311_shared.outbox import record_event

from .attributes import checked_attributes
from .contacts import normalised_email, normalised_phone
from .duplicates import DuplicatePolicy, neighbourhood_keys, open_duplicate
from .models import (
    contacts,
    followers,
    outbox,
    request_notes,
    service_catalog,
    service_requests,
)
from .schemas import SubmitRequestSchema

CONTACT_FIELDS = ("email", "phone", "first_name", "last_name")


def submit_request(session: Session, fields: dict, attributes: dict | None = None,
                   phone_region: str = "US", remember=None,
                   duplicates: DuplicatePolicy = DuplicatePolicy(), priority: str = "normal",
                   callback: str | None = None, require_attributes: bool = True) -> dict:
    """Validate, store and announce a request; return its public id and token.

    A report of an open problem already reported nearby joins the first report instead.
    `remember(answer)`, if given, runs inside the same transaction.
    """
    try:
        data = SubmitRequestSchema().load(fields)
    except ValidationError as exc:
        raise BadRequest(describe_errors(exc.messages)) from exc
    service = session.execute(
        select(service_catalog).where(service_catalog.c.service_code == data["service_code"])
    ).first()
    if service is None:
        raise BadRequest(f"service_code {data['service_code']!r} is not a service we offer")
    typed_attributes = checked_attributes(session, service.service_code, attributes or {},
                                          require=require_attributes)
    contact = _normalised_contact(data, phone_region)
    if service.contact_required and not (contact.get("email") or contact.get("phone")):
        raise BadRequest(f"{service.service_name} reports cannot be anonymous: give an email "
                         "or a phone number so the inspector can reach you")

    now = utcnow()
    contact_ref = str(uuid.uuid4()) if contact else None
    if contact_ref:
        session.execute(insert(contacts).values(contact_ref=contact_ref, callback=callback,
                                                **contact))
    # Nearby reports of one category take turns, so two reports of one pothole cannot
    # both be first.
    for key in neighbourhood_keys(service.service_code, data.get("lat"), data.get("long"),
                                  duplicates):
        lock_for_transaction(session, key)
    original = open_duplicate(session, service.service_code, data.get("lat"), data.get("long"),
                              now, duplicates)
    if original is None:
        answer = _open_request(session, service, data, typed_attributes, contact_ref, now,
                               priority)
    else:
        answer = _follow_request(session, original, data["channel"], contact_ref, now)
    if contact_ref:
        record_event(session, outbox, "resident_contact_recorded", answer["service_request_id"],
                     {"contact_ref": contact_ref, "request_id": answer["service_request_id"],
                      **contact})
    if remember:
        remember(answer)
    session.commit()
    return answer


def _normalised_contact(data, phone_region):
    contact = {name: data[name] for name in CONTACT_FIELDS if data.get(name)}
    if "email" in contact:
        contact["email"] = normalised_email(contact["email"])
    if "phone" in contact:
        contact["phone"] = normalised_phone(contact["phone"], phone_region)
    return contact


def _open_request(session, service, data, attributes, contact_ref, now, priority):
    token = str(uuid.uuid4())
    row_id = session.execute(insert(service_requests).values(
        service_code=service.service_code, description=data["description"],
        lat=data.get("lat"), long=data.get("long"), address=data.get("address_string"),
        address_id=data.get("address_id"), media_url=data.get("media_url"),
        attributes=attributes, channel=data["channel"], contact_ref=contact_ref,
        status="open", requested_at=now, updated_at=now, token=token, priority=priority,
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
    return {"service_request_id": request_id, "token": token}


def _follow_request(session, request_id, channel, contact_ref, now):
    token = session.execute(select(service_requests.c.token)
                            .where(service_requests.c.id == request_id)).scalar_one()
    if contact_ref:
        session.execute(insert(followers).values(request_id=request_id, contact_ref=contact_ref,
                                                 followed_at=now))
    session.execute(insert(request_notes).values(
        request_id=request_id, type="reported_again",
        summary="Reported again by another resident", datetime=now))
    session.execute(update(service_requests).where(service_requests.c.id == request_id)
                    .values(updated_at=now))
    record_event(session, outbox, "request_followed", str(request_id), {
        "request_id": str(request_id), "channel": channel,
        "follower_contact_ref": contact_ref, "followed_at": now})
    return {"service_request_id": str(request_id), "token": token,
            "service_notice": f"This was already reported as request {request_id}; "
                              "you will hear about it as it progresses."}


def describe_errors(messages: dict) -> str:
    return "; ".join(
        f"{field}: {' '.join(errors) if isinstance(errors, list) else errors}"
        for field, errors in sorted(messages.items())
    )
