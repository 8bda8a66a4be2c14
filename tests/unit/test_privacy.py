"""No contact details on the public exchanges: integrators, webhooks and the replay stream
get every public event, so a schema there must hold nothing that reaches or names a person.
"""
from marshmallow import fields

from loop311_contracts.catalog import CATALOG

# Fields whose name says they hold contact details, wherever they are nested.
CONTACT_WORDS = ("email", "phone", "mobile", "sms", "first_name", "last_name", "full_name",
                 "contact_name", "push", "token")
# A `name` is allowed only where it names a thing, not a person: each entry says which.
NAMES_OF_THINGS = {
    "service_name": "the category",
    "department_name": "a department",
    "jurisdiction_name": "a city or county",
    "JurisdictionOffersV2.name": "a city or county",
    "DepartmentChainV1.name": "a department",
}


def public_event_types() -> list[str]:
    return sorted(c.type for c in CATALOG.values() if not c.private)


def fields_of(schema, path=""):
    """(dotted name, qualified name, field) for every field, nested lists included."""
    for name, field in schema.fields.items():
        yield f"{path}{name}", f"{type(schema).__name__}.{name}", field
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            yield from fields_of(inner.schema, f"{path}{name}.")


def contact_fields(schema) -> list[str]:
    found = []
    for dotted, qualified, _ in fields_of(schema):
        leaf = dotted.rsplit(".", 1)[-1]
        if any(word in leaf for word in CONTACT_WORDS):
            found.append(dotted)
        elif (leaf == "name" or leaf.endswith("_name")) and not (
                leaf in NAMES_OF_THINGS or qualified in NAMES_OF_THINGS):
            found.append(dotted)
    return found


def test_every_public_event_type_is_checked():
    assert len(public_event_types()) >= 13
    assert "resident_contact_recorded" not in public_event_types()
    assert "staff_directory_recorded" not in public_event_types()


def test_no_public_event_schema_holds_contact_details():
    carried = {event_type: contact_fields(CATALOG[event_type].schema())
               for event_type in public_event_types()}

    assert {event_type: found for event_type, found in carried.items() if found} == {}


def test_the_check_finds_contact_details_where_they_are():
    # The private contracts are the proof the check can fail: they hold exactly these.
    assert set(contact_fields(CATALOG["resident_contact_recorded"].schema())) == {
        "email", "first_name", "last_name", "phone", "request_token"}
    assert set(contact_fields(CATALOG["staff_directory_recorded"].schema())) == {
        "staff.name", "staff.email", "staff.phone"}
