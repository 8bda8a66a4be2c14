"""HTTP bodies of notify's API (events' contracts live in loop311_contracts)."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates

from .domain.messages import LANGUAGES
from .domain.preferences import CHANNELS


class UnsubscribeSchema(Schema):
    """The signed unsubscribe link every email carries."""

    email = fields.Email(required=True)
    token = fields.String(required=True, validate=validate.Length(equal=64))


class SmsStatusSchema(Schema):
    """What a Twilio status callback says (its other fields are ignored)."""

    MessageSid = fields.String(required=True, validate=validate.Length(min=2, max=64))
    MessageStatus = fields.String(required=True, validate=validate.Length(min=1, max=32))

    class Meta:
        unknown = "exclude"


class PreferencesQuerySchema(Schema):
    """Who asks: a request's token (the proof; staff send their bearer token instead) and
    an email or phone the resident reported with."""

    token = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    address = fields.String(required=True, validate=validate.Length(min=3, max=320))


class PreferencesSchema(PreferencesQuerySchema):
    """What a resident may choose; anything left out stays as it was."""

    channel = fields.String(validate=validate.OneOf(CHANNELS, error="channel must be email or sms"))
    language = fields.String(validate=validate.OneOf(
        LANGUAGES, error=f"language must be one of {', '.join(LANGUAGES)}"))
    quiet_hours = fields.String(validate=validate.Regexp(
        r"^(|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$",
        error='quiet_hours must be "HH:MM-HH:MM" (like "21:00-08:00"), or "" for none'))
    time_zone = fields.String(validate=validate.Length(min=1, max=64))

    @validates("time_zone")
    def known_zone(self, value, **kwargs):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"unknown time zone {value!r}: use an IANA name such as "
                                  "America/New_York") from None

    def changes(self, loaded: dict) -> dict:
        """The preference columns this body sets."""
        changes = {name: loaded[name] for name in ("channel", "language", "time_zone")
                   if name in loaded}
        if "quiet_hours" in loaded:
            start, _, end = loaded["quiet_hours"].partition("-")
            changes.update(quiet_start=start, quiet_end=end)
        return changes


class PreferencesAnswerSchema(Schema):
    request_id = fields.String()
    channel = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    quiet_start = fields.String(allow_none=True)
    quiet_end = fields.String(allow_none=True)
    time_zone = fields.String(allow_none=True)


class HttpSmsStatusSchema(Schema):
    """What the generic SMS adapter's provider says of a text."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    status = fields.String(required=True, validate=validate.Length(min=1, max=32))

    class Meta:
        unknown = "exclude"
