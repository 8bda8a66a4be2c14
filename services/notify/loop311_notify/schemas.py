"""HTTP bodies of notify's API (events' contracts live in loop311_contracts)."""
from marshmallow import Schema, fields, validate


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
