"""SubmitRequest: store a new report and its events, or join it to the open request it
repeats. Every channel ends here; the channel comes from the command, never the body."""
from dataclasses import replace

from eventlet import tpool
from sqlalchemy.exc import IntegrityError

from loop311_shared.clock import utcnow
from loop311_shared.errors import Invalid, Unprocessable
from loop311_shared.unit_of_work import run

from ..commands import SubmitRequest
from ..domain.attributes import checked_attributes
from ..domain.categorize import TRIAGE
from ..domain.contacts import normalised_email, normalised_phone
from ..domain.duplicates import neighbourhood_keys
from ..domain.photos import PhotoRefused, vet
from ..unit_of_work import IntakeUnitOfWork

CONTACT_FIELDS = ("email", "phone", "first_name", "last_name")


def submit_request(uow: IntakeUnitOfWork, command: SubmitRequest) -> tuple[dict, bool]:
    """Return the answer (public id, token, maybe a notice) and whether it is a replay of
    the answer an earlier submission with the same Idempotency-Key got."""
    if command.idempotency is not None:
        earlier = uow.idempotency.earlier_answer(command.idempotency)
        if earlier is not None:
            return earlier, True
    answer = _accept(uow, command)
    if command.idempotency is not None:
        uow.idempotency.remember(command.idempotency, answer)
    return answer, False


def submit_once(unit_of_work, command: SubmitRequest) -> tuple[dict, bool]:
    """Run SubmitRequest in its own unit of work. When a concurrent retry with the same
    Idempotency-Key committed first (our commit fails on the key), answer as it did."""
    try:
        return run(unit_of_work(), submit_request, command)
    except IntegrityError:
        if command.idempotency is None:
            raise
        earlier = run(unit_of_work(), lambda uow, key: uow.idempotency.earlier_answer(key),
                      command.idempotency)
        if earlier is None:
            raise
        return earlier, True


def _accept(uow: IntakeUnitOfWork, command: SubmitRequest) -> dict:
    if command.suggestions is None and command.fields["service_code"] == TRIAGE:
        command = guessed_category(uow, command)
    data = command.fields
    service = uow.catalog.service(data["service_code"])
    if service is None:
        raise Invalid(f"service_code {data['service_code']!r} is not a service we offer")
    if command.offered is not None and service.service_code not in command.offered:
        raise Invalid(f"service_code {service.service_code!r} is not offered in that "
                      "jurisdiction_id; leave jurisdiction_id out and the report is routed by "
                      "where it is")
    attributes = checked_attributes(uow.catalog.attribute_definitions(service.service_code),
                                    service.service_code, command.attributes,
                                    require=command.require_attributes)
    photos, refused = vetted_photos(command)
    photo_place = next((photo.location for photo in photos.values() if photo.location), None)
    placed_by_photo = photo_place is not None and data.get("lat") is None and not data.get(
        "address_string")
    if placed_by_photo:
        data = {**data, "lat": photo_place[0], "long": photo_place[1]}
        command = replace(command, fields=data)
    if command.channel == "web" and all(data.get(name) is None for name in (
            "lat", "address_string", "address_id")):
        raise Invalid("a location is required: lat and long, address_string or address_id "
                      "(or a photo that carries its GPS position)")
    contact = normalised_contact(data, uow.rules.phone_region)
    if service.contact_required and not (contact.get("email") or contact.get("phone")):
        raise Invalid(f"{service.service_name} reports cannot be anonymous: give an email "
                      "or a phone number so the inspector can reach you")
    now = utcnow()
    contact_ref = uow.requests.add_contact(contact, command.callback) if contact else None
    policy = uow.rules.duplicates
    lat, long = data.get("lat"), data.get("long")
    uow.requests.lock_neighbourhood(neighbourhood_keys(service.service_code, lat, long, policy))
    original = uow.requests.open_duplicate(service.service_code, lat, long,
                                           now - policy.window, policy.radius_m)
    if original is None:
        answer = _open(uow, service, command, attributes, contact_ref, now)
    else:
        answer = _follow(uow, original, command.channel, contact_ref, now)
    request_id = int(answer["service_request_id"])
    for image, photo in photos.items():
        uow.requests.add_image(request_id, image.filename, photo, uow.rules.media_base,
                               original=image if uow.rules.keep_original_photos else None)
    if placed_by_photo and "service_notice" not in answer:
        uow.requests.add_note(request_id, "location", "The place was taken from the GPS "
                              "position in the photo (the report gave none).", now)
    for reason in (*refused, *command.photo_problems):
        # Internal: the reason quotes the file's name, which the sender chose.
        uow.requests.add_note(request_id, "photo", f"A photo was not kept: {reason}.", now,
                              visibility="internal")
    if contact_ref:
        uow.publish("resident_contact_recorded", answer["service_request_id"],
                    {"contact_ref": contact_ref, "request_id": answer["service_request_id"],
                     "request_token": answer["token"], **contact})
    return answer


def guessed_category(uow: IntakeUnitOfWork, command: SubmitRequest) -> SubmitRequest:
    """A report to the general category: the guesser reads its words. A trusted guess the
    client's jurisdiction offers becomes its category; otherwise it stays in general, for
    triage, with the suggestions."""
    guess = uow.guesser(command.fields.get("jurisdiction_id")).guess(command.fields["description"])
    fields = command.fields
    if guess.trusted and (command.offered is None or guess.service_code in command.offered):
        fields = {**fields, "service_code": guess.service_code}
    return replace(command, fields=fields, suggestions=guess.suggestions)


def vetted_photos(command: SubmitRequest) -> tuple[dict, list[str]]:
    """The photos kept (by the image they came as) and why the others were not. An upload
    refused is the client's error; from email or a text, the report still counts."""
    photos, refused = {}, []
    for image in command.images:
        try:
            # Decoding is CPU work: in a real thread, so other requests are not held up.
            photos[image] = tpool.execute(vet, image.data, image.filename)
        except PhotoRefused as reason:
            if command.channel == "web":
                raise Unprocessable(f"media: {reason}") from None
            refused.append(str(reason))
    return photos, refused


def normalised_contact(data: dict, phone_region: str) -> dict:
    contact = {name: data[name] for name in CONTACT_FIELDS if data.get(name)}
    if "email" in contact:
        contact["email"] = normalised_email(contact["email"])
    if "phone" in contact:
        contact["phone"] = normalised_phone(contact["phone"], phone_region)
    if contact and data.get("language"):  # how to write back, to someone we can reach
        contact["language"] = data["language"]
    return contact


def _open(uow, service, command, attributes, contact_ref, now) -> dict:
    data = command.fields
    row_id, token = uow.requests.add(
        now, service_code=service.service_code, description=data["description"],
        lat=data.get("lat"), long=data.get("long"), address=data.get("address_string"),
        address_id=data.get("address_id"), media_url=data.get("media_url"),
        attributes=attributes, channel=command.channel, contact_ref=contact_ref,
        priority=command.priority, filed_in=data.get("jurisdiction_id") or None)
    request_id = str(row_id)
    uow.publish("request_created", request_id, {
        "request_id": request_id,
        "service_code": service.service_code,
        "service_name": service.service_name,
        "description": data["description"],
        "lat": data.get("lat"),
        "long": data.get("long"),
        "address": data.get("address_string"),
        "channel": command.channel,
        "priority": command.priority,
        "contact_ref": contact_ref,
        "requested_at": now,
        "category_suggestions": [{"service_code": code, "probability": probability}
                                 for code, probability in command.suggestions or ()],
    })
    return {"service_request_id": request_id, "token": token}


def _follow(uow, request_id, channel, contact_ref, now) -> dict:
    uow.requests.add_follower(request_id, contact_ref, now)
    uow.publish("request_followed", str(request_id), {
        "request_id": str(request_id), "channel": channel,
        "follower_contact_ref": contact_ref, "followed_at": now})
    return {"service_request_id": str(request_id), "token": uow.requests.token_of(request_id),
            "service_notice": f"This was already reported as request {request_id}; "
                              "you will hear about it as it progresses."}
