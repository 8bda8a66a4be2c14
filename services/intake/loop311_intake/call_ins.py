"""Phone dispatchers take a call: caller (or nobody), where, what, how urgent.

The answer names the request and the open requests already reported nearby, so the
dispatcher can tell the caller "we know, crews are on it".
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from loop311_shared.errors import BadRequest, ClientError

from .duplicates import open_requests_near
from .geocoding import Place, parse_location
from .submission import describe_errors, submit_request

PRIORITIES = ("low", "normal", "high", "urgent")


class LocationNotFound(ClientError):
    status = 422


class GeocoderUnavailable(ClientError):
    # Not the caller's mistake, but the dispatcher's way out is the same: give coordinates.
    status = 503


class CallerSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(validate=validate.Length(min=3, max=32))
    email = fields.String(validate=validate.Length(max=320))
    callback = fields.String(load_default="phone", validate=validate.OneOf(("phone", "email", "none")))

    @validates_schema
    def reachable_as_asked(self, data, **kwargs):
        wanted = data.get("callback")
        if wanted in ("phone", "email") and not data.get(wanted):
            raise ValidationError(f"a {wanted} callback needs the caller's {wanted}", "callback")


class LocationSchema(Schema):
    address = fields.String(validate=validate.Length(min=1, max=500))
    intersection = fields.String(validate=validate.Length(min=3, max=500))
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False)
    long = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False)

    @validates_schema
    def one_form(self, data, **kwargs):
        forms = [form for form in ("address", "intersection") if form in data]
        if "lat" in data or "long" in data:
            if not ("lat" in data and "long" in data):
                raise ValidationError("lat and long must be given together", "lat")
            forms.append("coordinates")
        if len(forms) != 1:
            raise ValidationError("give exactly one of address, intersection, or lat and long",
                                  "location")


class CallInSchema(Schema):
    caller = fields.Nested(CallerSchema, allow_none=True, load_default=None)
    location = fields.Nested(LocationSchema, required=True)
    service_code = fields.String(load_default=None)  # inferred from the notes when absent
    notes = fields.String(load_default="", validate=validate.Length(max=4000))
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    attribute = fields.Dict(keys=fields.String(), load_default=dict)


def take_call(session, body: dict, geocoder, dispatcher: str, guesser,
              nearby_radius_m: float = 200, **options) -> dict:
    try:
        call = CallInSchema().load(body)
    except ValidationError as exc:
        raise BadRequest(describe_errors(exc.messages)) from exc
    place = _place(call["location"], geocoder)
    category = {"service_code": call["service_code"], "inferred": False}
    if not call["service_code"]:
        if not call["notes"]:
            raise BadRequest("give a service_code, or notes to infer it from")
        guess = guesser.guess(call["notes"])
        category = {"service_code": guess.service_code, "inferred": True,
                    "confidence": round(guess.confidence, 3)}
    caller = call["caller"] or {}
    first, _, last = caller.get("name", "").rpartition(" ") if " " in caller.get("name", "") \
        else (caller.get("name"), "", None)
    fields_ = {"service_code": category["service_code"], "lat": place.lat, "long": place.long,
               "address_string": place.matched, "channel": "phone",
               "description": call["notes"] or f"Phone call taken by {dispatcher}",
               "first_name": first or None, "last_name": last or None,
               "phone": caller.get("phone"), "email": caller.get("email")}
    attributes = {code: value if isinstance(value, list) else [value]
                  for code, value in call["attribute"].items()}
    answer = submit_request(session, {k: v for k, v in fields_.items() if v is not None},
                            attributes, priority=call["priority"],
                            callback=caller.get("callback"), **options)
    nearby = open_requests_near(session, place.lat, place.long, nearby_radius_m)
    return {
        **answer,
        "category": category,
        "location": {"lat": place.lat, "long": place.long, "matched": place.matched},
        "open_requests_nearby": [
            {"service_request_id": str(row.id), "service_code": row.service_code,
             "distance_m": round(distance), "requested_datetime": row.requested_at.isoformat()}
            for distance, row in nearby if str(row.id) != answer["service_request_id"]],
    }


def _place(location: dict, geocoder) -> Place:
    if "lat" in location:
        return Place(location["lat"], location["long"],
                     f"{location['lat']:.5f}, {location['long']:.5f}")
    parsed = parse_location(location.get("address") or location["intersection"])
    if "intersection" in location and parsed.kind != "intersection":
        raise BadRequest("an intersection names two streets, like '5th Ave N & 22nd St'")
    try:
        place = geocoder.locate(parsed)
    except (OSError, ValueError) as exc:
        raise GeocoderUnavailable(f"the geocoder did not answer ({exc}); give lat and long") \
            from exc
    if place is None:
        raise LocationNotFound(f"could not find {parsed.text!r}; check it or give lat and long")
    return place
