"""routing's directory import and assignment, on the real Pinellas County boundaries
(config/demo/directory.yml), called directly on a migrated database."""
import copy
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

import loop311_routing
from loop311_routing import handlers, queries
from loop311_routing.commands import ImportDirectory, ReassignRequest
from loop311_routing.domain.directory import build_directory
from loop311_routing.domain.rules import pick_person
from loop311_routing.models import assignments, configuration_versions, departments, outbox
from loop311_routing.schemas import DirectorySchema, QueueQuerySchema
from loop311_routing.unit_of_work import RoutingUnitOfWork
from loop311_shared.errors import Conflict, Invalid, NotFound
from loop311_shared.loading import load
from loop311_shared.unit_of_work import Delivery, apply_once, run
from support import demo_document, received_event

ST_PETERSBURG = (27.7705, -82.6383)   # City Hall area
CLEARWATER = (27.9659, -82.8001)
PALM_HARBOR = (28.0781, -82.7637)     # unincorporated county land
TAMPA = (27.9506, -82.4572)           # across the bay: outside the county


@pytest.fixture
def uow(migrated_session):
    with migrated_session(loop311_routing) as session:
        yield RoutingUnitOfWork(session, "routing")


def directory_document(mutate=None) -> dict:
    document = demo_document("directory")
    if mutate:
        mutate(document)
    return document


def import_directory(uow, document, author="tests"):
    return run(uow, handlers.import_directory,
               ImportDirectory(document=load(DirectorySchema(), document), author=author))


def request_created(request_id, service_code, place):
    lat, long = place if place else (None, None)
    return received_event("request_created", {
        "request_id": request_id, "service_code": service_code, "service_name": service_code,
        "description": "deep", "lat": lat, "long": long, "address": None, "channel": "web",
        "priority": "normal",
        "contact_ref": None, "requested_at": datetime(2026, 11, 24, 9, tzinfo=timezone.utc)})


def route(uow, request_id, service_code, place=ST_PETERSBURG):
    apply_once(uow, request_created(request_id, service_code, place),
               handlers.handle_request_created)
    return published(uow)[-1]


def published(uow):
    return uow.session.execute(select(outbox.c.envelope).order_by(outbox.c.id)).scalars().all()


def count(uow, table):
    return uow.session.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def imported(uow):
    import_directory(uow, directory_document())
    return uow


def test_the_demo_directory_imports_as_a_new_version_each_time(uow):
    first = import_directory(uow, directory_document(), author="ada")

    assert (first["kind"], first["version"], first["imported_by"]) == ("directory", 1, "ada")
    assert first["summary"] == "25 jurisdictions, 29 departments, 31 rules"
    announced, staff = published(uow)
    assert (announced["type"], announced["data"]["version"]) == ("directory_changed", 1)
    assert staff["type"] == "staff_directory_recorded" and len(staff["data"]["staff"]) == 29 * 4
    offers = {j["id"]: set(j["offers"]) for j in announced["data"]["jurisdictions"]}
    assert {"drainage", "rodent"} <= offers["st-petersburg"]  # its own, and its county's
    assert count(uow, departments) == 29
    second = import_directory(uow, directory_document())
    assert second["version"] == 2 and count(uow, configuration_versions) == 2
    # What is kept is what GET exports, and it imports again as it is.
    exported = uow.directory.current_import()["document"]
    assert import_directory(uow, exported)["sha256"] == second["sha256"]


@pytest.mark.parametrize("place, jurisdiction, department", [
    (ST_PETERSBURG, "st-petersburg", "st-petersburg-streets"),
    (CLEARWATER, "clearwater", "clearwater-streets"),
    (PALM_HARBOR, "pinellas-county", "pc-public-works"),
])
def test_a_pothole_goes_to_the_body_whose_ground_it_is_on(imported, place, jurisdiction,
                                                          department):
    event = route(imported, "1", "pothole", place)

    assert event["type"] == "request_assigned"
    assert (event["data"]["jurisdiction_id"], event["data"]["department_code"]) == (
        jurisdiction, department)


def test_the_public_sees_the_jurisdiction_and_the_department(imported):
    data = route(imported, "1", "pothole")["data"]

    assert data["agency_responsible"] == ("City of St. Petersburg — Stormwater, Pavement & "
                                          "Traffic Operations")
    assert data["rule_id"] == "st-petersburg-streets" and data["assignee_id"]


def test_a_category_the_city_leaves_to_its_county_goes_to_the_county(imported):
    data = route(imported, "1", "rodent", ST_PETERSBURG)["data"]

    assert (data["jurisdiction_id"], data["department_code"]) == (
        "pinellas-county", "pc-animal-services")


@pytest.mark.parametrize("service_code, place, reason_code", [
    ("pothole", TAMPA, "outside_every_jurisdiction"),
    ("pothole", None, "no_location"),
    ("general", ST_PETERSBURG, "category_unknown"),
    ("moon_landing", ST_PETERSBURG, "not_served"),
])
def test_what_no_one_can_take_goes_to_triage_with_its_reason(imported, service_code, place,
                                                             reason_code):
    event = route(imported, "9", service_code, place)

    assert event["type"] == "request_needs_triage"
    assert event["data"]["reason_code"] == reason_code and event["data"]["reason"]
    row = imported.session.execute(select(assignments)).one()
    assert (row.state, row.department_code) == ("triage", None)


def test_a_request_no_rule_takes_goes_to_triage(uow):
    def only_a_district(document):
        rule = next(r for r in document["rules"] if r["id"] == "st-petersburg-streets")
        city = next(j for j in document["jurisdictions"] if j["id"] == "st-petersburg")
        city["areas"] = [{"name": "Old Northeast", "boundary": square(27.79, -82.63, 0.01)}]
        rule["area"] = "Old Northeast"
    import_directory(uow, directory_document(only_a_district))

    event = route(uow, "9", "pothole", ST_PETERSBURG)

    assert (event["type"], event["data"]["reason_code"]) == ("request_needs_triage",
                                                            "no_matching_rule")
    assert event["data"]["jurisdiction_id"] == "st-petersburg"


def test_before_any_import_every_request_waits_in_triage(uow):
    assert route(uow, "1", "pothole")["type"] == "request_needs_triage"


def test_a_redelivered_request_is_assigned_once(imported):
    event = request_created("1", "pothole", ST_PETERSBURG)

    outcomes = [apply_once(imported, event, handlers.handle_request_created) for _ in range(2)]

    assert outcomes == [Delivery.APPLIED, Delivery.DUPLICATE]
    assigned = [event for event in published(imported) if event["type"] == "request_assigned"]
    assert count(imported, assignments) == 1 and len(assigned) == 1


def test_round_robin_takes_the_crew_in_turn(imported):
    people = [route(imported, str(n), "pothole", (27.7705 + n * 0.001, -82.6383))["data"]
              ["assignee_id"] for n in range(4)]

    assert people == ["st-petersburg-streets-2", "st-petersburg-streets-3"] * 2


def test_least_loaded_picks_whoever_holds_the_fewest_open_items(imported):
    people = [route(imported, str(n), "housing", (27.7705 + n * 0.001, -82.6383))["data"]
              ["assignee_id"] for n in range(3)]

    assert people[0] != people[1] and people[2] in people[:2]


# The demo's rules and rota, decided at chosen moments (the handler decides at "now").

def decide(service_code, place, moment):
    directory = build_directory(load(DirectorySchema(), directory_document()))
    return directory, directory.decide(service_code, *place, moment)


THURSDAY_NOON = datetime(2026, 11, 26, 17, tzinfo=timezone.utc)        # 12:00 in Florida
THURSDAY_NIGHT = datetime(2026, 11, 27, 3, tzinfo=timezone.utc)        # 22:00 in Florida
SATURDAY_MORNING = datetime(2026, 11, 28, 14, tzinfo=timezone.utc)     # 09:00
DAYLIGHT_SAVING_EVENING = datetime(2026, 3, 9, 21, 30, tzinfo=timezone.utc)  # 17:30 EDT, Monday


@pytest.mark.parametrize("moment, rule", [
    (THURSDAY_NOON, "st-petersburg-streets"),
    (THURSDAY_NIGHT, "st-petersburg-drainage-after-hours"),
    (SATURDAY_MORNING, "st-petersburg-drainage-weekend"),
    (DAYLIGHT_SAVING_EVENING, "st-petersburg-drainage-after-hours"),
])
def test_rules_are_tried_in_order_and_time_of_day_counts_in_local_time(moment, rule):
    _, decision = decide("drainage", ST_PETERSBURG, moment)

    assert decision.rule.id == rule


def test_on_call_picks_who_is_on_the_rota_else_the_supervisor():
    directory, _ = decide("drainage", ST_PETERSBURG, THURSDAY_NIGHT)
    department = directory.departments["st-petersburg-streets"]

    assert department.on_call_at(datetime(2026, 11, 27, 3, tzinfo=timezone.utc)) == [
        "st-petersburg-streets-2"]
    assert department.on_call_at(datetime(2026, 12, 2, 3, tzinfo=timezone.utc)) == [
        "st-petersburg-streets-3"]
    assert department.on_call_at(datetime(2027, 1, 5, 3, tzinfo=timezone.utc)) == [
        "st-petersburg-streets-1"]


# Bad directories: a clear reason, and nothing of them kept.

def square(lat, long, size):
    ring = [[long, lat], [long + size, lat], [long + size, lat + size], [long, lat + size],
            [long, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def city(document, jurisdiction_id="st-petersburg"):
    return next(j for j in document["jurisdictions"] if j["id"] == jurisdiction_id)


def first_rule(document, rule_id="st-petersburg-streets"):
    return next(r for r in document["rules"] if r["id"] == rule_id)


BAD = {
    "unclosed ring": (lambda d: city(d).update(boundary={"type": "Polygon", "coordinates": [
        [[-82.7, 27.7], [-82.6, 27.7], [-82.6, 27.8], [-82.7, 27.8]]]}), "not closed"),
    "self-intersecting": (lambda d: city(d).update(boundary={"type": "Polygon", "coordinates": [
        [[-82.7, 27.7], [-82.6, 27.8], [-82.6, 27.7], [-82.7, 27.8], [-82.7, 27.7]]]}),
        "jurisdiction st-petersburg"),
    "latitude first": (lambda d: city(d).update(boundary={"type": "Polygon", "coordinates": [
        [[27.7, -182.7], [27.7, -182.6], [27.8, -182.6], [27.7, -182.7]]]}), "outside the world"),
    "overlapping siblings": (lambda d: city(d, "gulfport").update(boundary=city(d)["boundary"]),
                             "overlap"),
    "unknown parent": (lambda d: city(d).update(parent="florida"), "parent florida"),
    "unknown department": (lambda d: first_rule(d).update(department="stp-snow"),
                           "unknown department stp-snow"),
    "unknown staff": (lambda d: first_rule(d).update(assign=None, person="nobody"),
                      "person nobody is not on the staff"),
    "unserved category": (lambda d: first_rule(d).update(categories=["rodent"]),
                          "can never match: st-petersburg does not serve rodent"),
    "shadowed rule": (lambda d: d["rules"].insert(
        d["rules"].index(first_rule(d, "st-petersburg-drainage-after-hours")),
        {"id": "stp-everything", "jurisdiction": "st-petersburg",
         "department": "st-petersburg-streets"}),
        "rule st-petersburg-drainage-after-hours can never match"),
    "area outside its jurisdiction": (lambda d: (
        city(d).update(areas=[{"name": "Far away", "boundary": square(30.0, -85.0, 0.01)}]),
        first_rule(d).update(area="Far away")), "area Far away lies outside st-petersburg"),
    "unknown time zone": (lambda d: city(d).update(timezone="Florida/Beaches"), "time zone"),
    "empty time window": (lambda d: first_rule(d).update(when={"from": "07:00", "to": "07:00"}),
                          "never match"),
}


@pytest.mark.parametrize("mutate, says", BAD.values(), ids=BAD.keys())
def test_a_bad_directory_is_refused_whole_with_its_reason(imported, mutate, says):
    document = directory_document(mutate)

    with pytest.raises(Invalid, match=says):
        import_directory(imported, copy.deepcopy(document))

    assert imported.directory.current_import()["version"] == 1
    assert count(imported, departments) == 29


def test_a_department_with_assigned_requests_cannot_be_removed(imported):
    route(imported, "1", "pothole", PALM_HARBOR)

    def without_county_public_works(document):
        document["departments"] = [d for d in document["departments"]
                                   if d["code"] != "pc-public-works"]
        document["rules"] = [r for r in document["rules"] if r["department"] != "pc-public-works"]

    with pytest.raises(Conflict, match="pc-public-works"):
        import_directory(imported, directory_document(without_county_public_works))
    assert imported.directory.current_import()["version"] == 1


# Staff move requests: every move kept, every move announced.

def reassign(uow, request_id, **move):
    return run(uow, handlers.reassign_request,
               ReassignRequest(request_id, reason=move.pop("reason", "misreported"),
                               author="alice", **move))


def test_a_person_hands_a_request_to_a_colleague(imported):
    first = route(imported, "1", "pothole")["data"]["assignee_id"]
    colleague = "st-petersburg-streets-3" if first != "st-petersburg-streets-3" else \
        "st-petersburg-streets-2"

    moved = reassign(imported, "1", assignee=colleague, reason="on leave this week")

    assert (moved["assignee_id"], moved["previous_assignee_id"]) == (colleague, first)
    event = published(imported)[-1]
    assert event["type"] == "request_reassigned" and event["data"]["reason"] == "on leave this week"
    [move] = queries.assignment_with_moves(imported.session, "1")["moves"]
    assert (move["moved_by"], move["from_assignee_id"], move["to_assignee_id"]) == (
        "alice", first, colleague)


def test_the_county_sends_a_request_to_the_city_in_one_step(imported):
    assert route(imported, "1", "pothole", PALM_HARBOR)["data"]["jurisdiction_id"] == \
        "pinellas-county"

    moved = reassign(imported, "1", jurisdiction="clearwater", reason="city-maintained road")

    assert (moved["jurisdiction_id"], moved["department_code"]) == ("clearwater",
                                                                    "clearwater-streets")
    assert moved["previous_jurisdiction_id"] == "pinellas-county"
    assert moved["rule_id"] == "clearwater-streets" and moved["assignee_id"]


def test_a_corrected_category_is_placed_again_by_the_rules(imported):
    assert route(imported, "1", "rodent")["data"]["jurisdiction_id"] == "pinellas-county"

    moved = reassign(imported, "1", service_code="pothole", reason="it is a pothole")

    assert (moved["service_code"], moved["previous_service_code"]) == ("pothole", "rodent")
    assert moved["jurisdiction_id"] == "st-petersburg"


def test_a_triage_item_is_assigned_by_hand(imported):
    route(imported, "1", "general")

    moved = reassign(imported, "1", department="st-petersburg-streets", service_code="pothole",
                     assignee="st-petersburg-streets-2", reason="pothole, from the photo")

    assert moved["previous_department_code"] is None
    row = imported.session.execute(select(assignments)).one()
    assert (row.state, row.department_code, row.service_code) == (
        "assigned", "st-petersburg-streets", "pothole")


@pytest.mark.parametrize("move, error, says", [
    ({"department": "stp-snow"}, NotFound, "no department 'stp-snow'"),
    ({"assignee": "clearwater-streets-2"}, Invalid, "not on the staff of st-petersburg-streets"),
    ({"jurisdiction": "atlantis"}, NotFound, "no jurisdiction 'atlantis'"),
    ({"jurisdiction": "clearwater", "service_code": "rodent"}, Conflict, "nobody takes it there"),
])
def test_an_impossible_move_is_refused_and_changes_nothing(imported, move, error, says):
    route(imported, "1", "pothole")
    before = published(imported)

    with pytest.raises(error, match=says):
        reassign(imported, "1", **move)

    assert published(imported) == before
    assert queries.assignment_with_moves(imported.session, "1")["moves"] == []


def test_a_request_routing_never_saw_cannot_be_moved(imported):
    with pytest.raises(NotFound, match="has not seen"):
        reassign(imported, "404", assignee="st-petersburg-streets-2")


def queue(uow, **which):
    filters = load(QueueQuerySchema(), which.pop("filters", {}))
    return queries.work_queue(uow.session, filters, **which)


def test_work_queues_of_a_department_a_person_and_triage(imported):
    for number in range(3):
        route(imported, str(number), "pothole", (27.7705 + number * 0.001, -82.6383))
    route(imported, "t1", "pothole", TAMPA)
    apply_once(imported, received_event("request_status_changed", {
        "request_id": "0", "service_code": "pothole", "previous_status": "open",
        "status": "closed", "resolution": "fixed", "public_note": "Patched",
        "changed_at": datetime(2026, 11, 25, tzinfo=timezone.utc)}, subject="0"),
        handlers.handle_request_status_changed)

    department = queue(imported, department="st-petersburg-streets")
    assert [item["request_id"] for item in department["items"]] == ["1", "2"]
    assert queue(imported, department="st-petersburg-streets",
                 filters={"status": "all"})["total"] == 3
    page = queue(imported, department="st-petersburg-streets",
                 filters={"status": "all", "page_size": 2, "page": 2})
    assert [item["request_id"] for item in page["items"]] == ["2"]
    mine = queue(imported, assignee="st-petersburg-streets-3", filters={"status": "all"})
    assert [item["request_id"] for item in mine["items"]] == ["1"]
    triage = queue(imported, triage=True)
    assert [(i["request_id"], i["state"]) for i in triage["items"]] == [("t1", "triage")]
    assert "outside every jurisdiction" in triage["items"][0]["triage_reason"]
    assert queue(imported, department="st-petersburg-streets",
                 filters={"category": "drainage"})["total"] == 0


def test_a_rule_can_draw_its_own_area(uow):
    def northeast_crew(document):
        document["rules"].insert(0, {
            "id": "stp-northeast", "jurisdiction": "st-petersburg", "categories": ["pothole"],
            "area_boundary": square(27.765, -82.645, 0.02), "department": "st-petersburg-streets",
            "person": "st-petersburg-streets-3"})
    import_directory(uow, directory_document(northeast_crew))

    inside = route(uow, "1", "pothole", ST_PETERSBURG)["data"]
    outside = route(uow, "2", "pothole", (27.74, -82.70))["data"]

    assert (inside["rule_id"], inside["assignee_id"]) == ("stp-northeast", "st-petersburg-streets-3")
    assert outside["rule_id"] != "stp-northeast"


@pytest.mark.parametrize("strategy, person, expected, turn", [
    (None, "ada", "ada", 5),
    ("round_robin", None, "cy", 6),
    ("least_loaded", None, "bo", 5),
    ("on_call", None, "dee", 5),
    (None, None, None, 5),
])
def test_each_way_of_picking_a_person(strategy, person, expected, turn):
    staff = ["ada", "bo", "cy"]
    picked = pick_person(strategy, person, staff, {"ada": 3, "cy": 1}, ["dee"], 5)

    assert picked == (expected, turn)


def test_a_queue_filtered_by_where_the_requests_are(imported):
    route(imported, "stp", "rodent", ST_PETERSBURG)
    route(imported, "palm", "rodent", PALM_HARBOR)
    directory = imported.directory_in_force()

    in_city = queue(imported, department="pc-animal-services",
                    within=directory.places["st-petersburg"])
    everywhere = queue(imported, department="pc-animal-services")

    assert [item["request_id"] for item in in_city["items"]] == ["stp"]
    assert everywhere["total"] == 2


def test_staff_who_want_texts_need_a_phone_and_say_how_reminders_come():
    from loop311_routing.schemas import StaffSchema

    person = {"id": "crew-1", "name": "Crew", "role": "Field crew", "email": "c@x.example"}
    assert StaffSchema().validate({**person, "notify_by": "sms"}) == {
        "phone": ["notify_by sms needs a phone"]}
    assert "reminders" in StaffSchema().validate({**person, "reminders": "weekly"})
    loaded = StaffSchema().load(person)
    assert (loaded["notify_by"], loaded["reminders"]) == ("email", "each")


def test_the_triage_queue_shows_what_intake_suggested_and_one_pick_files_it(imported):
    suggestions = [{"service_code": "pothole", "probability": 0.61},
                   {"service_code": "sidewalk", "probability": 0.22},
                   {"service_code": "drainage", "probability": 0.07}]
    event = request_created("s1", "general", ST_PETERSBURG)
    event.data["category_suggestions"] = suggestions
    apply_once(imported, event, handlers.handle_request_created)

    [item] = queue(imported, triage=True)["items"]
    assert item["category_suggestions"] == suggestions
    pick = item["category_suggestions"][0]["service_code"]
    moved = reassign(imported, "s1", service_code=pick, reason="triage pick")
    assert moved["service_code"] == "pothole"
    assert queue(imported, triage=True)["items"] == []


def test_a_request_whose_category_was_chosen_shows_no_suggestions(imported):
    route(imported, "v2", "general")
    [item] = queue(imported, triage=True)["items"]
    assert item["category_suggestions"] == []
