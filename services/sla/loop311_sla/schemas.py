"""HTTP bodies of sla's admin API (events' contracts live in loop311_contracts)."""
from collections import Counter

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from loop311_shared.reference_data import in_force_schema

POLICIES_FORMAT = "loop311.policies/1"
MAX_RESOLVE_HOURS = 87_600  # ten years


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


class PolicySchema(Schema):
    service_code = fields.String(required=True, validate=[validate.Length(min=1, max=64), not_blank])
    resolve_within_hours = fields.Integer(required=True, strict=True, validate=validate.Range(
        min=1, max=MAX_RESOLVE_HOURS, error=f"must be a whole number of hours from 1 to "
                                            f"{MAX_RESOLVE_HOURS}"))


class PoliciesSchema(Schema):
    """How long each category may take to resolve. Imported whole: a category it does not
    list gets the default (DEFAULT_RESOLVE_HOURS)."""

    format = fields.String(required=True, validate=validate.Equal(
        POLICIES_FORMAT, error=f"must be {POLICIES_FORMAT!r}"))
    policies = fields.List(fields.Nested(PolicySchema), required=True)

    @validates_schema
    def unique_service_codes(self, data, **kwargs):
        codes = Counter(policy["service_code"] for policy in data["policies"])
        repeated = sorted(code for code, count in codes.items() if count > 1)
        if repeated:
            raise ValidationError({"policies": [
                f"service code {code} has more than one policy" for code in repeated]})


PoliciesInForceSchema = in_force_schema("PoliciesInForceSchema", PoliciesSchema)
