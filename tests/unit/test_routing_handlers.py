"""routing's handlers on SQLite: the directory import, and assignment by its routes."""
import copy
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

import loop311_routing
from loop311_routing import handlers
from loop311_routing.commands import ImportDirectory
from loop311_routing.models import assignments, category_routes, configuration_versions, departments, outbox
from loop311_routing.unit_of_work import RoutingUnitOfWork
from loop311_shared.errors import Conflict, Invalid
from loop311_shared.unit_of_work import apply_once, run
from support import demo_document, received_event


@pytest.fixture
def uow(migrated_session):
    with migrated_session(loop311_routing) as session:
        yield RoutingUnitOfWork(session, "routing")


def import_directory(uow, document, author="tests"):
    return run(uow, handlers.import_directory, ImportDirectory(document=document, author=author))


def request_created(request_id, service_code):
    return received_event("request_created", {
        "request_id": request_id, "service_code": service_code, "service_name": service_code,
        "description": "deep", "lat": 42.35, "long": -71.06, "address": None, "channel": "web",
        "contact_ref": None, "requested_at": datetime(2026, 11, 24, 9, tzinfo=timezone.utc)})


def assign(uow, request_id, service_code, jurisdiction_id="city"):
    def handler(uow, event):
        handlers.handle_request_created(uow, event, jurisdiction_id=jurisdiction_id)
    return apply_once(uow, request_created(request_id, service_code), handler)


def count(uow, table):
    return uow.session.execute(select(func.count()).select_from(table)).scalar_one()


def published(uow):
    return uow.session.execute(select(outbox.c.envelope).order_by(outbox.c.id)).scalars().all()


def test_the_demo_directory_imports_and_each_import_is_a_new_version(uow):
    first = import_directory(uow, demo_document("directory"), author="ada")

    assert (first["kind"], first["version"], first["imported_by"]) == ("directory", 1, "ada")
    assert first["summary"] == "6 departments, 15 routes"
    assert len(first["sha256"]) == 64
    assert (count(uow, departments), count(uow, category_routes)) == (6, 15)

    smaller = demo_document("directory")
    smaller["routes"] = smaller["routes"][:3]
    second = import_directory(uow, smaller)
    assert second["version"] == 2 and second["sha256"] != first["sha256"]
    assert count(uow, category_routes) == 3
    current = uow.directory.current_import()
    assert current["version"] == 2 and current["document"] == smaller
    assert count(uow, configuration_versions) == 2


def renamed_department(document):
    document["departments"][0]["name"] = "Public Works"
    return document


def test_an_import_renames_a_department_in_place(uow):
    import_directory(uow, demo_document("directory"))
    import_directory(uow, renamed_department(demo_document("directory")))

    name = uow.session.execute(select(departments.c.name)
                               .where(departments.c.code == "PWDx")).scalar_one()
    assert name == "Public Works"


def bad(mutate):
    document = demo_document("directory")
    mutate(document)
    return document


BAD_DOCUMENTS = {
    "wrong format": (bad(lambda d: d.update(format="loop311.directory/2")), "format"),
    "no departments key": (bad(lambda d: d.pop("departments")), "departments"),
    "repeated department": (bad(lambda d: d["departments"].append({"code": "PWDx", "name": "Again"})),
                            "PWDx is listed more than once"),
    "empty code": (bad(lambda d: d["departments"].append({"code": "", "name": "Nobody"})), "code"),
    "blank name": (bad(lambda d: d["departments"][0].update(name="  ")), "name"),
    "long code": (bad(lambda d: d["departments"].append({"code": "X" * 33, "name": "Long"})), "code"),
    "unknown department": (bad(lambda d: d["routes"].append({
        "jurisdiction_id": "city", "service_code": "snow", "department_code": "SNOW"})),
        "route city/snow names department SNOW"),
    "two routes for one category": (bad(lambda d: d["routes"].append({
        "jurisdiction_id": "city", "service_code": "pothole", "department_code": "BTDT"})),
        "pothole has more than one route in jurisdiction city"),
    "unknown field": (bad(lambda d: d.update(colour="blue")), "colour"),
}


@pytest.mark.parametrize("document, complaint", BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS.keys())
def test_a_bad_directory_is_refused_and_changes_nothing(uow, document, complaint):
    import_directory(uow, demo_document("directory"))

    with pytest.raises(Invalid, match=complaint):
        import_directory(uow, copy.deepcopy(document))

    assert (count(uow, departments), count(uow, category_routes)) == (6, 15)
    assert uow.directory.current_import()["version"] == 1


def test_a_department_with_assigned_requests_cannot_be_removed(uow):
    import_directory(uow, demo_document("directory"))
    assign(uow, "1", "graffiti")
    without_prop = demo_document("directory")
    without_prop["departments"] = [d for d in without_prop["departments"] if d["code"] != "PROP"]
    without_prop["routes"] = [r for r in without_prop["routes"] if r["department_code"] != "PROP"]

    with pytest.raises(Conflict, match="PROP"):
        import_directory(uow, without_prop)

    assert count(uow, departments) == 6 and count(uow, category_routes) == 15
    assert uow.directory.current_import()["version"] == 1


def test_a_department_without_assignments_can_be_removed(uow):
    import_directory(uow, demo_document("directory"))
    without_prop = demo_document("directory")
    without_prop["departments"] = [d for d in without_prop["departments"] if d["code"] != "PROP"]
    without_prop["routes"] = [r for r in without_prop["routes"] if r["department_code"] != "PROP"]

    assert import_directory(uow, without_prop)["summary"] == "5 departments, 14 routes"


def test_a_request_is_assigned_by_the_imported_routes(uow):
    import_directory(uow, demo_document("directory"))

    assign(uow, "17", "graffiti")

    [event] = published(uow)
    assert event["type"] == "request_assigned"
    assert (event["data"]["department_code"], event["data"]["department_name"]) == (
        "PROP", "Property Management")
    row = uow.session.execute(select(assignments)).one()
    assert (row.request_id, row.department_code, row.jurisdiction_id) == ("17", "PROP", "city")


@pytest.mark.parametrize("service_code, jurisdiction_id", [("moon_landing", "city"),
                                                          ("graffiti", "elsewhere")])
def test_a_request_no_route_covers_goes_to_triage(uow, service_code, jurisdiction_id):
    import_directory(uow, demo_document("directory"))

    assign(uow, "18", service_code, jurisdiction_id)

    [event] = published(uow)
    assert event["type"] == "request_needs_triage"
    assert event["data"] == {"request_id": "18", "service_code": service_code,
                             "jurisdiction_id": jurisdiction_id,
                             "reason": "no department handles this service code"}
    assert count(uow, assignments) == 0


def test_before_any_import_every_request_goes_to_triage(uow):
    assign(uow, "19", "pothole")

    assert [event["type"] for event in published(uow)] == ["request_needs_triage"]
