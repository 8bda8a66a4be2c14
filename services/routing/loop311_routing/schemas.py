"""HTTP bodies of routing's admin API (events' contracts live in loop311_contracts)."""
from collections import Counter

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from loop311_shared.reference_data import in_force_schema

DIRECTORY_FORMAT = "loop311.directory/1"


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


def code(max_length: int) -> fields.String:
    return fields.String(required=True, validate=[validate.Length(min=1, max=max_length), not_blank])


class DepartmentSchema(Schema):
    code = code(32)
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), not_blank])


class RouteSchema(Schema):
    jurisdiction_id = code(64)
    service_code = code(64)
    department_code = code(32)


class DirectorySchema(Schema):
    """The routing directory: departments, and which one takes each category in each
    jurisdiction. Imported whole: what it does not list is removed."""

    format = fields.String(required=True, validate=validate.Equal(
        DIRECTORY_FORMAT, error=f"must be {DIRECTORY_FORMAT!r}"))
    departments = fields.List(fields.Nested(DepartmentSchema), required=True)
    routes = fields.List(fields.Nested(RouteSchema), required=True)

    @validates_schema
    def consistent(self, data, **kwargs):
        problems = {}
        codes = Counter(department["code"] for department in data["departments"])
        repeated = sorted(code for code, count in codes.items() if count > 1)
        if repeated:
            problems["departments"] = [f"department code {code} is listed more than once"
                                       for code in repeated]
        route_problems = []
        for route in data["routes"]:
            if route["department_code"] not in codes:
                route_problems.append(
                    f"route {route['jurisdiction_id']}/{route['service_code']} names department "
                    f"{route['department_code']}, which is not among the departments")
        keys = Counter((route["jurisdiction_id"], route["service_code"]) for route in data["routes"])
        route_problems.extend(
            f"service code {service_code} has more than one route in jurisdiction {jurisdiction}"
            for (jurisdiction, service_code), count in sorted(keys.items()) if count > 1)
        if route_problems:
            problems["routes"] = route_problems
        if problems:
            raise ValidationError(problems)


DirectoryInForceSchema = in_force_schema("DirectoryInForceSchema", DirectorySchema)
