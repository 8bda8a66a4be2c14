"""HTTP bodies of sla's API (events' contracts live in loop311_contracts).

The policies document (config/demo/policies.yml is one) holds the business calendars and
the policies; it is imported whole and kept as a numbered version.
"""
from collections import Counter
from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from loop311_shared.reference_data import in_force_schema

from .domain.policies import UNITS

POLICIES_FORMAT = "loop311.policies/2"
PRIORITIES = ("low", "normal", "high", "urgent")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class TargetSchema(Schema):
    within = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False,
                                                                 max=87_600))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))


class EverySchema(Schema):
    hours = fields.Float(required=True, validate=validate.Range(min=0.25, max=8_760))


class HolidaysSchema(Schema):
    country = fields.String(load_default="US", allow_none=True)
    subdivision = fields.String(load_default=None, allow_none=True)


class CalendarSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    timezone = fields.String(required=True)
    working_hours = fields.Dict(keys=fields.String(validate=validate.OneOf(DAYS)),
                                values=fields.List(fields.List(fields.String(), validate=validate.Length(
                                    equal=2))), required=True,
                                metadata={"description": 'e.g. {"mon": [["08:00", "17:00"]]}'})
    holidays = fields.Nested(HolidaysSchema, load_default=lambda: {"country": "US",
                                                                    "subdivision": None})
    closures = fields.List(fields.Date(), load_default=list,
                           metadata={"description": "days an admin closed (a storm)"})


class TargetsSchema(Schema):
    """The two targets, how often to remind, and how soon to escalate."""

    acknowledge = fields.Nested(TargetSchema, required=True)
    resolve = fields.Nested(TargetSchema, required=True)
    remind_every = fields.Nested(EverySchema, load_default=None, allow_none=True)
    escalate_every = fields.Nested(EverySchema, load_default=None, allow_none=True)


class PolicySchema(TargetsSchema):
    """Targets for a category, optionally narrowed to a priority and a jurisdiction; the
    most specific policy that fits a request wins."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    categories = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                             required=True, validate=validate.Length(min=1))
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRIORITIES))
    jurisdiction = fields.String(load_default=None, allow_none=True)


class PoliciesSchema(Schema):
    """Business calendars, which calendar each jurisdiction keeps, and the policies; a
    category no policy names gets `default`."""

    format = fields.String(required=True, validate=validate.Equal(
        POLICIES_FORMAT, error=f"must be {POLICIES_FORMAT!r}"))
    calendars = fields.List(fields.Nested(CalendarSchema), required=True,
                            validate=validate.Length(min=1))
    calendar_of = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                              metadata={"description": "jurisdiction id (or `default`) -> calendar id"})
    default = fields.Nested(TargetsSchema, required=True)
    policies = fields.List(fields.Nested(PolicySchema), required=True)

    @validates_schema
    def consistent(self, data, **kwargs):
        problems = []
        calendars = Counter(calendar["id"] for calendar in data["calendars"])
        problems += [f"calendar {c} is listed more than once" for c, n in calendars.items() if n > 1]
        if "default" not in data["calendar_of"]:
            problems.append("calendar_of needs a `default` calendar")
        problems += [f"calendar_of names unknown calendar {c} for {j}"
                     for j, c in sorted(data["calendar_of"].items()) if c not in calendars]
        ids = Counter(policy["id"] for policy in data["policies"])
        problems += [f"policy {p} is listed more than once" for p, n in ids.items() if n > 1]
        keys = Counter((category, policy["priority"], policy["jurisdiction"])
                       for policy in data["policies"] for category in policy["categories"])
        problems += [f"two policies give {category}"
                     + (f" at priority {priority}" if priority else "")
                     + (f" in {jurisdiction}" if jurisdiction else "")
                     + ": which one holds would be a guess"
                     for (category, priority, jurisdiction), n in sorted(
                         keys.items(), key=str) if n > 1]
        if problems:
            raise ValidationError({"policies": problems})


class PauseSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))



class ReportQuerySchema(Schema):
    """A period: requests opened from `start` (inclusive) to `end` (exclusive)."""

    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    by = fields.String(load_default="department_code", validate=validate.OneOf(
        ("jurisdiction_id", "department_code", "service_code", "assignee_id", "channel")))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))

    @validates_schema
    def a_period(self, data, **kwargs):
        if data["end"] <= data["start"]:
            raise ValidationError("end must be after start", "end")
        if data["end"] - data["start"] > timedelta(days=3_660):
            raise ValidationError("a period is at most ten years", "end")


class ExportQuerySchema(ReportQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "geojson")))


PoliciesInForceSchema = in_force_schema("PoliciesInForceSchema", PoliciesSchema)
