"""HTTP bodies of routing's admin API (events' contracts live in loop311_contracts).

The directory document (config/demo/directory.yml is one) is checked here for its shape
and its references; the geometry (valid boundaries, overlapping siblings, rules whose
area lies outside their jurisdiction) is checked by the import handler.
"""
import re
from collections import Counter

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from loop311_shared.clock import is_time_zone
from loop311_shared.reference_data import in_force_schema

from .domain.rules import DAYS

DIRECTORY_FORMAT = "loop311.directory/2"
STRATEGIES = ("round_robin", "least_loaded", "on_call")
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{0,63}$",
                       error="must be 1-64 lower-case letters, digits, '_', '.' or '-'")
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def known_zone(name: str) -> None:
    if not is_time_zone(name):
        raise ValidationError(f"{name!r} is not a time zone (like America/New_York)")


def clock_time(value: str) -> None:
    if not CLOCK.match(value):
        raise ValidationError(f"{value!r} is not a time of day as HH:MM")


class AreaSchema(Schema):
    """A named part of a jurisdiction (a council district) that rules can name."""

    name = text(100, required=True)
    boundary = fields.Dict(required=True, metadata={"description": "GeoJSON (Multi)Polygon"})


class JurisdictionSchema(Schema):
    id = fields.String(required=True, validate=SLUG)
    name = text(200, required=True)
    parent = fields.String(load_default=None, allow_none=True)
    timezone = fields.String(load_default="America/New_York", validate=known_zone)
    boundary = fields.Dict(required=True, metadata={
        "description": "GeoJSON (Multi)Polygon, [longitude, latitude] (WGS84)"})
    serves = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                         load_default=list, metadata={
                             "description": "categories it takes itself; the rest go to its "
                                            "parent"})
    population = fields.Integer(load_default=None, allow_none=True,
                                validate=validate.Range(min=0))
    areas = fields.List(fields.Nested(AreaSchema), load_default=list)


class StaffSchema(Schema):
    id = fields.String(required=True, validate=SLUG)
    name = text(200, required=True)
    role = text(100, required=True)
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(min=3, max=32))
    # How notify tells them of new work, reminders and escalations.
    notify_by = fields.String(load_default="email", validate=validate.OneOf(("email", "sms")))
    reminders = fields.String(load_default="each", validate=validate.OneOf(("each", "hourly")))

    @validates_schema
    def reachable_by_choice(self, data, **kwargs):
        if data.get("notify_by") == "sms" and not data.get("phone"):
            raise ValidationError("notify_by sms needs a phone", "phone")


class OnCallSchema(Schema):
    staff = fields.String(required=True)
    starts = fields.AwareDateTime(required=True)
    ends = fields.AwareDateTime(required=True)

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        if data["ends"] <= data["starts"]:
            raise ValidationError("an on-call shift must end after it starts", "ends")


class DepartmentSchema(Schema):
    code = fields.String(required=True, validate=SLUG)
    jurisdiction = fields.String(required=True)
    name = text(200, required=True)
    staff = fields.List(fields.Nested(StaffSchema), load_default=list)
    supervisor = fields.String(load_default=None, allow_none=True)
    head = fields.String(load_default=None, allow_none=True)
    on_call = fields.List(fields.Nested(OnCallSchema), load_default=list)


class WhenSchema(Schema):
    days = fields.List(fields.String(validate=validate.OneOf(DAYS)), load_default=lambda: list(DAYS),
                       validate=validate.Length(min=1, error="name at least one day"))
    start = fields.String(load_default="00:00", data_key="from", validate=clock_time)
    to = fields.String(load_default=None, allow_none=True, validate=clock_time)

    @validates_schema
    def not_empty(self, data, **kwargs):
        if data.get("to") == data["start"]:
            raise ValidationError("from and to are the same time: the rule could never match",
                                  "to")


class RuleSchema(Schema):
    id = fields.String(required=True, validate=SLUG)
    jurisdiction = fields.String(required=True)
    categories = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                             load_default=list, metadata={"description": "empty: all it serves"})
    area = fields.String(load_default=None, allow_none=True,
                         metadata={"description": "the name of one of its areas"})
    area_boundary = fields.Dict(load_default=None, allow_none=True,
                                metadata={"description": "or a GeoJSON (Multi)Polygon of its own"})
    when = fields.Nested(WhenSchema, load_default=None, allow_none=True)
    department = fields.String(required=True)
    assign = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STRATEGIES))
    person = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def one_way_to_pick(self, data, **kwargs):
        if data.get("assign") and data.get("person"):
            raise ValidationError("give assign (a strategy) or person, not both", "person")
        if data.get("area") and data.get("area_boundary"):
            raise ValidationError("give area (a name) or area_boundary, not both", "area")


class DirectorySchema(Schema):
    """Routing's directory: jurisdictions (boundaries, nesting, what each serves), their
    departments and staff, and the ordered assignment rules. Imported whole."""

    format = fields.String(required=True, validate=validate.Equal(
        DIRECTORY_FORMAT, error=f"must be {DIRECTORY_FORMAT!r}"))
    jurisdictions = fields.List(fields.Nested(JurisdictionSchema), required=True,
                                validate=validate.Length(min=1))
    departments = fields.List(fields.Nested(DepartmentSchema), required=True)
    rules = fields.List(fields.Nested(RuleSchema), required=True)

    @validates_schema
    def references_hold(self, data, **kwargs):
        problems = reference_problems(data)
        if problems:
            raise ValidationError(problems)


def repeated(values) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def reference_problems(data: dict) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}

    def say(section, message):
        problems.setdefault(section, []).append(message)

    jurisdictions = {j["id"]: j for j in data["jurisdictions"]}
    for value in repeated(j["id"] for j in data["jurisdictions"]):
        say("jurisdictions", f"jurisdiction {value} is listed more than once")
    for jurisdiction in data["jurisdictions"]:
        if jurisdiction["parent"] is not None and jurisdiction["parent"] not in jurisdictions:
            say("jurisdictions", f"{jurisdiction['id']}'s parent {jurisdiction['parent']} is not "
                                 "a jurisdiction here")
        seen, current = set(), jurisdiction
        while current and current["parent"] in jurisdictions:
            if current["id"] in seen:
                say("jurisdictions", f"{jurisdiction['id']} is its own ancestor")
                break
            seen.add(current["id"])
            current = jurisdictions[current["parent"]]
        for value in repeated(area["name"] for area in jurisdiction["areas"]):
            say("jurisdictions", f"{jurisdiction['id']} names area {value} twice")
    departments = {d["code"]: d for d in data["departments"]}
    for value in repeated(d["code"] for d in data["departments"]):
        say("departments", f"department {value} is listed more than once")
    for value in repeated(person["id"] for d in data["departments"] for person in d["staff"]):
        say("departments", f"staff id {value} is listed more than once")
    for department in data["departments"]:
        if department["jurisdiction"] not in jurisdictions:
            say("departments", f"department {department['code']} belongs to unknown "
                               f"jurisdiction {department['jurisdiction']}")
        staff = {person["id"] for person in department["staff"]}
        named = [("supervisor", department["supervisor"]), ("head", department["head"])] + \
            [("on_call", shift["staff"]) for shift in department["on_call"]]
        for role, who in named:
            if who is not None and who not in staff:
                say("departments", f"department {department['code']}'s {role} {who} is not "
                                   "among its staff")
    for value in repeated(rule["id"] for rule in data["rules"]):
        say("rules", f"rule {value} is listed more than once")
    for rule in data["rules"]:
        jurisdiction = jurisdictions.get(rule["jurisdiction"])
        department = departments.get(rule["department"])
        if jurisdiction is None:
            say("rules", f"rule {rule['id']} names unknown jurisdiction {rule['jurisdiction']}")
            continue
        if department is None:
            say("rules", f"rule {rule['id']} names unknown department {rule['department']}")
            continue
        if department["jurisdiction"] != rule["jurisdiction"]:
            say("rules", f"rule {rule['id']}: department {department['code']} belongs to "
                         f"{department['jurisdiction']}, not {rule['jurisdiction']}")
        unserved = sorted(set(rule["categories"]) - set(jurisdiction["serves"]))
        if unserved or not jurisdiction["serves"]:
            say("rules", f"rule {rule['id']} can never match: {rule['jurisdiction']} does not "
                         f"serve {', '.join(unserved) or 'any category'}")
        if rule["area"] is not None and rule["area"] not in {a["name"] for a in jurisdiction["areas"]}:
            say("rules", f"rule {rule['id']} names unknown area {rule['area']} of "
                         f"{rule['jurisdiction']}")
        if rule["person"] is not None and rule["person"] not in {p["id"] for p in department["staff"]}:
            say("rules", f"rule {rule['id']}: person {rule['person']} is not on the staff of "
                         f"{department['code']}")
        if rule["assign"] and not department["staff"]:
            say("rules", f"rule {rule['id']} picks a person {rule['assign']} but department "
                         f"{department['code']} has no staff")
    return problems


DirectoryInForceSchema = in_force_schema("DirectoryInForceSchema", DirectorySchema)


class ReassignSchema(Schema):
    """Where a request goes now, and why. Name one: a corrected `service_code` (the rules
    place it again), a `jurisdiction` to transfer to (its rules decide), a `department`
    (and optionally an `assignee` on its staff), or just an `assignee` in its department."""

    reason = text(1000, required=True)
    service_code = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(min=1, max=64))
    jurisdiction = fields.String(load_default=None, allow_none=True)
    department = fields.String(load_default=None, allow_none=True)
    assignee = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def says_where(self, data, **kwargs):
        if not any(data.get(name) for name in ("service_code", "jurisdiction", "department",
                                               "assignee")):
            raise ValidationError("say where it goes: service_code, jurisdiction, department "
                                  "or assignee", "reason")
        if data.get("jurisdiction") and (data.get("department") or data.get("assignee")):
            raise ValidationError("a transfer to a jurisdiction lets its rules pick the "
                                  "department: give jurisdiction alone", "jurisdiction")


class MoveSchema(Schema):
    moved_at = fields.String()
    moved_by = fields.String()
    reason = fields.String()
    from_service_code = fields.String(allow_none=True)
    from_jurisdiction_id = fields.String(allow_none=True)
    from_department_code = fields.String(allow_none=True)
    from_assignee_id = fields.String(allow_none=True)
    to_service_code = fields.String()
    to_jurisdiction_id = fields.String()
    to_department_code = fields.String()
    to_assignee_id = fields.String(allow_none=True)


class QueueItemSchema(Schema):
    request_id = fields.String()
    service_code = fields.String()
    jurisdiction_id = fields.String(allow_none=True)
    department_code = fields.String(allow_none=True)
    assignee_id = fields.String(allow_none=True)
    rule_id = fields.String(allow_none=True)
    state = fields.String(metadata={"enum": ["assigned", "triage"]})
    status = fields.String(metadata={"enum": ["open", "closed"]})
    triage_reason = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)
    assigned_at = fields.String()
    category_suggestions = fields.List(fields.Dict(), metadata={
        "description": "When intake guessed the category from the report's words: its top "
                       "three ({service_code, probability}), best first. A pick is one POST "
                       "to /staff/v1/requests/{id}/assignment with {\"service_code\": …}"})


class AssignmentSchema(QueueItemSchema):
    """A request's place now, and every move that brought it there."""

    moves = fields.List(fields.Nested(MoveSchema))


class QueuePageSchema(Schema):
    items = fields.List(fields.Nested(QueueItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class QueueQuerySchema(Schema):
    """Filters of a work queue; the oldest first."""

    status = fields.String(load_default="open", validate=validate.OneOf(("open", "closed", "all")))
    category = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    jurisdiction = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    area = fields.String(load_default=None, validate=validate.Length(min=1, max=170), metadata={
        "description": "where the request is: a jurisdiction's id, or <jurisdiction>/<area>"})
    older_than_hours = fields.Float(load_default=None, validate=validate.Range(min=0, max=87600))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
