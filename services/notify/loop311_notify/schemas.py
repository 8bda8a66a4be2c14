"""HTTP bodies of notify's API (events' contracts live in loop311_contracts)."""
from marshmallow import Schema, fields, validate


class UnsubscribeSchema(Schema):
    """The signed unsubscribe link every email carries."""

    email = fields.Email(required=True)
    token = fields.String(required=True, validate=validate.Length(equal=64))
