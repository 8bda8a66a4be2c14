"""What a client may send to the Open311 POST, and how requests are shown publicly."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from loop311_shared.schemas import CHANNELS


class SubmitRequestSchema(Schema):
    """Open311 GeoReport v2 POST requests fields (location: lat/long or address_string)."""

    service_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False)
    long = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False)
    address_string = fields.String(validate=validate.Length(min=1, max=500))
    address_id = fields.String(validate=validate.Length(min=1, max=100))
    media_url = fields.Url(validate=validate.Length(max=2000), schemes={"http", "https"})
    email = fields.String(validate=validate.Length(max=320))
    phone = fields.String(validate=validate.Length(min=3, max=32))
    first_name = fields.String(validate=validate.Length(max=100))
    last_name = fields.String(validate=validate.Length(max=100))
    channel = fields.String(load_default="web", validate=validate.OneOf(CHANNELS))

    class Meta:
        # Open311 clients send fields we do not keep (api_key, device_id, account_id).
        unknown = "exclude"

    @validates_schema
    def location_given(self, data, **kwargs):
        has_point = "lat" in data or "long" in data
        if has_point and not ("lat" in data and "long" in data):
            raise ValidationError("lat and long must be given together", "lat")
        # The spec asks for one of these; clients that send an address with the point
        # (many do) keep both. An email often names no place: staff find it in triage.
        if not has_point and data.get("channel") == "email":
            return
        if not has_point and "address_string" not in data and "address_id" not in data:
            raise ValidationError(
                "a location is required: lat and long, address_string or address_id", "lat")
