"""The values a request gives its category's attributes (Open311 service definitions),
checked against their definitions and typed."""
from datetime import datetime

from loop311_shared.errors import Invalid

MAX_LENGTH = {"string": 255, "text": 4000}
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


def checked_attributes(definitions: list, service_code: str, given: dict[str, list],
                       require: bool = True) -> dict:
    """The request's attribute values, typed; Invalid naming every problem.

    `require=False` lets a channel that cannot ask for every attribute (a text message)
    leave required ones for staff to fill in.
    """
    definitions = {row.code: row for row in definitions}
    problems = [f"attribute[{code}] is not an attribute of {service_code}"
                for code in sorted(set(given) - set(definitions))]
    typed = {}
    for code, definition in definitions.items():
        values = [v for v in given.get(code, []) if v not in ("", None)]
        if not values:
            if definition.required and require:
                problems.append(f"attribute[{code}] is required ({definition.description})")
            continue
        try:
            typed[code] = _typed(definition, values)
        except ValueError as exc:
            problems.append(f"attribute[{code}]: {exc}")
    if problems:
        raise Invalid("; ".join(problems))
    return typed


def _typed(definition, values):
    datatype = definition.datatype
    if datatype == "multivaluelist":
        return [_list_key(definition, value) for value in values]
    if len(values) > 1:
        raise ValueError("takes one value")
    value = str(values[0])
    if datatype == "singlevaluelist":
        return _list_key(definition, value)
    if datatype == "number":
        return _number(value)
    if datatype == "datetime":
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date and time") from None
        if moment.tzinfo is None:
            raise ValueError("needs a time zone (Z or an offset from UTC)")
        return moment.isoformat()
    if len(value) > MAX_LENGTH[datatype]:
        raise ValueError(f"is longer than {MAX_LENGTH[datatype]} characters")
    return value


def _number(value):
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _list_key(definition, value):
    keys = [item["key"] for item in definition.values or []]
    if str(value) not in keys:
        raise ValueError(f"{value!r} is not one of {', '.join(keys)}")
    return str(value)

