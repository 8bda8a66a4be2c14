"""TakeCallIn: a phone dispatcher takes a call — caller (or nobody), where, what, how
urgent. The answer names the request and the open requests already reported nearby, so
the dispatcher can tell the caller "we know, crews are on it"."""
from loop311_shared.errors import Invalid
from loop311_shared.loading import load

from ..adapters.geocoding import Place, parse_location
from ..commands import CHANNEL_PHONE, SubmitRequest, TakeCallIn
from ..errors import GeocoderUnavailable, LocationNotFound
from ..schemas import ReportSchema
from ..unit_of_work import IntakeUnitOfWork
from .submission import submit_request

NEARBY_RADIUS_M = 200


def take_call_in(uow: IntakeUnitOfWork, command: TakeCallIn) -> dict:
    call, dispatcher = command.call, command.dispatcher
    place = locate(call["location"], uow.geocoder)
    category = {"service_code": call["service_code"], "inferred": False}
    suggestions = ()
    if not call["service_code"]:
        guess = uow.guesser().guess(call["notes"])
        suggestions = guess.suggestions
        category = {"service_code": guess.service_code, "inferred": True,
                    "confidence": round(guess.confidence, 3),
                    "suggestions": [{"service_code": code, "probability": probability}
                                    for code, probability in suggestions]}
    caller = call["caller"] or {}
    name = caller.get("name") or ""
    first, _, last = name.rpartition(" ") if " " in name else (name, "", "")
    report = {"service_code": category["service_code"], "lat": place.lat, "long": place.long,
              "address_string": place.matched,
              "description": call["notes"] or f"Phone call taken by {dispatcher}",
              "first_name": first, "last_name": last,
              "phone": caller.get("phone"), "email": caller.get("email")}
    attributes = {code: value if isinstance(value, list) else [value]
                  for code, value in call["attribute"].items()}
    answer, _ = submit_request(uow, SubmitRequest(
        fields=load(ReportSchema(), {k: v for k, v in report.items() if v}),
        channel=CHANNEL_PHONE, attributes=attributes, priority=call["priority"],
        callback=caller.get("callback"), suggestions=suggestions))
    nearby = uow.requests.open_near(place.lat, place.long, NEARBY_RADIUS_M)
    return {
        **answer,
        "category": category,
        "location": {"lat": place.lat, "long": place.long, "matched": place.matched},
        "open_requests_nearby": [
            {"service_request_id": str(row.id), "service_code": row.service_code,
             "distance_m": round(distance), "requested_datetime": row.requested_at.isoformat()}
            for distance, row in nearby if str(row.id) != answer["service_request_id"]],
    }


def locate(location: dict, geocoder) -> Place:
    if "lat" in location:
        return Place(location["lat"], location["long"],
                     f"{location['lat']:.5f}, {location['long']:.5f}")
    parsed = parse_location(location.get("address") or location["intersection"])
    if "intersection" in location and parsed.kind != "intersection":
        raise Invalid("an intersection names two streets, like '5th Ave N & 22nd St'")
    try:
        place = geocoder.locate(parsed)
    except (OSError, ValueError) as exc:
        raise GeocoderUnavailable(f"the geocoder did not answer ({exc}); give lat and long") \
            from exc
    if place is None:
        raise LocationNotFound(f"could not find {parsed.text!r}; check it or give lat and long")
    return place
