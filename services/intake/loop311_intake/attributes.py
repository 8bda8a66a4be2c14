"""Service attributes (Open311 service definitions) and the values a request gives them."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loop311_shared.errors import BadRequest, NotFound

from .models import service_attributes, service_catalog

MAX_LENGTH = {"string": 255, "text": 4000}


def service_definition(session: Session, service_code: str) -> dict:
    if not session.execute(select(service_catalog.c.service_code)
                           .where(service_catalog.c.service_code == service_code)).first():
        raise NotFound(f"service_code {service_code!r} is not a service we offer")
    return {"service_code": service_code, "attributes": [
        {"variable": row.variable, "code": row.code, "datatype": row.datatype,
         "required": row.required, "datatype_description": row.datatype_description,
         "order": row.order, "description": row.description,
         **({"values": row.values} if row.values else {})}
        for row in _definitions(session, service_code)]}


def checked_attributes(session: Session, service_code: str, given: dict[str, list],
                       require: bool = True) -> dict:
    """The request's attribute values, typed; BadRequest naming every problem.

    `require=False` lets a channel that cannot ask for every attribute (a text message)
    leave required ones for staff to fill in.
    """
    definitions = {row.code: row for row in _definitions(session, service_code)}
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
        raise BadRequest("; ".join(problems))
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


def _definitions(session, service_code):
    return session.execute(select(service_attributes)
                           .where(service_attributes.c.service_code == service_code)
                           .order_by(service_attributes.c.order)).all()
