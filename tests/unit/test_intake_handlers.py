"""intake's command handlers, called directly on a migrated database: no HTTP, no broker."""
from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from loop311_intake import handlers, queries
from loop311_intake.commands import (
    AddComment,
    ChangeStatus,
    IdempotencyKey,
    ImportCatalog,
    ReceiveText,
    SubmitRequest,
    TakeCallIn,
)
from loop311_intake.errors import NotAllowedNow
from loop311_intake.models import outbox, service_requests
from loop311_intake.schemas import CallInSchema, CatalogSchema, ReportSchema
from loop311_shared.errors import Invalid, NotFound
from loop311_shared.unit_of_work import run
from support import DEMO_PLATFORM, demo_document, received_event

POTHOLE = {"service_code": "pothole", "description": "Deep", "lat": 42.3594, "long": -71.0587,
           "email": "Ada@Example.ORG"}


@pytest.fixture
def uow(intake_uow):
    return intake_uow


def submit(uow, channel="web", **fields):
    return run(uow, handlers.submit_request, SubmitRequest(
        fields=ReportSchema().load({**POTHOLE, **fields}), channel=channel,
        attributes={"size": ["large"]}))


def published(uow, event_type=None):
    rows = uow.session.execute(select(outbox.c.event_type, outbox.c.envelope)
                               .order_by(outbox.c.id)).all()
    return [row.envelope for row in rows if event_type in (None, row.event_type)]


def count_requests(uow):
    return uow.session.execute(select(func.count()).select_from(service_requests)).scalar_one()


def test_a_submission_stores_the_request_and_its_events_with_the_commands_channel(uow):
    (answer, replayed) = submit(uow, channel="phone")

    assert not replayed and answer["token"]
    [created] = published(uow, "request_created")
    assert created["data"]["channel"] == "phone"
    [contact] = published(uow, "resident_contact_recorded")
    assert contact["data"]["email"] == "Ada@example.org"


def test_handlers_never_commit_the_unit_of_work_does(uow):
    handlers.submit_request(uow, SubmitRequest(fields=ReportSchema().load(POTHOLE),
                                               channel="web", attributes={"size": ["large"]}))
    uow.rollback()

    assert count_requests(uow) == 0
    assert published(uow) == []


def test_a_report_near_an_open_one_of_its_kind_follows_it(uow):
    first, _ = submit(uow)
    again, _ = submit(uow, lat=42.35941)

    assert again["service_request_id"] == first["service_request_id"]
    assert "already reported" in again["service_notice"]
    assert count_requests(uow) == 1
    assert len(published(uow, "request_followed")) == 1


def test_an_idempotency_key_replays_the_first_answer(uow):
    key = IdempotencyKey("client", "key-1", "fingerprint")
    command = SubmitRequest(fields=ReportSchema().load(POTHOLE), channel="web",
                            attributes={"size": ["large"]}, idempotency=key)

    first = run(uow, handlers.submit_request, command)
    second = run(uow, handlers.submit_request, command)

    assert first == (first[0], False) and second == (first[0], True)
    assert count_requests(uow) == 1


def test_a_required_attribute_and_a_contact_for_code_enforcement(uow):
    with pytest.raises(Invalid, match=r"attribute\[size\] is required"):
        run(uow, handlers.submit_request, SubmitRequest(fields=ReportSchema().load(POTHOLE),
                                                        channel="web"))
    with pytest.raises(Invalid, match="cannot be anonymous"):
        anonymous = {name: value for name, value in POTHOLE.items() if name != "email"}
        run(uow, handlers.submit_request, SubmitRequest(
            fields=ReportSchema().load({**anonymous, "service_code": "housing"}), channel="web"))
    assert count_requests(uow) == 0


def test_status_changes_follow_the_life_of_a_request(uow):
    request_id = submit(uow)[0]["service_request_id"]
    change = lambda **kw: run(uow, handlers.change_status,  # noqa: E731
                              ChangeStatus(request_id, author="alice", **kw))

    assert change(status="acknowledged")["status"] == "acknowledged"
    with pytest.raises(NotAllowedNow, match="acknowledged cannot become acknowledged"):
        change(status="acknowledged")
    with pytest.raises(Invalid, match="closing needs a resolution"):
        change(status="closed")
    assert change(status="closed", resolution="fixed", note="Patched")["resolution"] == "fixed"
    [*_, closed] = published(uow, "request_status_changed")
    assert closed["data"]["public_note"] == "Patched"


def test_an_internal_comment_keeps_its_text_inside_intake(uow):
    request_id = submit(uow)[0]["service_request_id"]

    run(uow, handlers.add_comment, AddComment(request_id, "Owner asked for a call",
                                              author="alice", visibility="internal"))

    [comment] = published(uow, "request_commented")
    assert comment["data"]["visibility"] == "internal" and comment["data"]["text"] is None


def test_a_call_in_without_a_category_gets_one_from_the_notes(uow):
    call = CallInSchema().load({"location": {"lat": 42.36, "long": -71.06},
                                "notes": "Rats everywhere in the alley behind the diner"})

    answer = run(uow, handlers.take_call_in, TakeCallIn(call, dispatcher="sam"))

    assert answer["category"]["service_code"] == "rodent" and answer["category"]["inferred"]
    [created] = published(uow, "request_created")
    assert created["data"]["channel"] == "phone"


def test_texting_stop_records_the_opt_out(uow):
    reply = run(uow, handlers.receive_text, ReceiveText("+1 617 555 0100", " stop "))

    assert "no more messages" in reply
    [opted] = published(uow, "resident_opted_out")
    assert opted["data"] == {"phone": "+16175550100", "opted_out": True,
                             "changed_at": opted["data"]["changed_at"]}


def test_a_new_catalog_version_retires_what_it_leaves_out(uow):
    document = demo_document("catalog")
    document["services"] = [s for s in document["services"] if s["service_code"] != "tree"]

    version = run(uow, handlers.import_catalog, ImportCatalog(CatalogSchema().load(document),
                                                              "tests"))

    assert version["version"] == 2 and version["summary"] == "17 services, 7 attributes"
    assert uow.catalog.service("tree") is None
    assert uow.catalog.service("pothole").service_name == "Request for Pothole Repair"


def test_an_assignment_reaches_the_public_record(uow):
    request_id = submit(uow)[0]["service_request_id"]

    run(uow, handlers.handle_request_assigned, received_event("request_assigned", {
        "request_id": request_id, "service_code": "pothole", "jurisdiction_id": "city",
        "department_code": "PWDx", "department_name": "Public Works Department",
        "jurisdiction_name": "City of St. Petersburg",
        "agency_responsible": "City of St. Petersburg — Public Works Department",
        "assigned_at": datetime(2026, 11, 26, 12, tzinfo=timezone.utc)}))

    agency = uow.session.execute(select(service_requests.c.agency_responsible)).scalar_one()
    assert agency == "City of St. Petersburg — Public Works Department"


def announce(uow, version, jurisdictions):
    run(uow, handlers.handle_directory_changed, received_event("directory_changed", {
        "version": version, "jurisdictions": jurisdictions, "departments": []},
        subject="directory"))


def test_a_jurisdiction_offers_what_routing_announced_and_nothing_else(uow):
    announce(uow, 2, [{"id": "gulfport", "name": "City of Gulfport", "parent": "county",
                       "offers": ["pothole", "streetlight"]}])
    announce(uow, 1, [])  # an older announcement, late: changes nothing

    offered = queries.jurisdiction_offers(uow.session, "gulfport", DEMO_PLATFORM)
    assert offered == {"pothole", "streetlight", "general"}
    assert [s["service_code"] for s in queries.list_services(uow.session, offered)] == [
        "general", "pothole", "streetlight"]
    assert queries.jurisdiction_offers(uow.session, DEMO_PLATFORM, DEMO_PLATFORM) is None
    with pytest.raises(NotFound, match="'atlantis' is not served here"):
        queries.jurisdiction_offers(uow.session, "atlantis", DEMO_PLATFORM)
    with pytest.raises(Invalid, match="not offered in that jurisdiction_id"):
        run(uow, handlers.submit_request, SubmitRequest(
            fields=ReportSchema().load({**POTHOLE, "service_code": "graffiti"}), channel="web",
            offered=offered))


def test_the_language_a_reporter_asks_for_travels_with_their_contact(uow):
    submit(uow, language="es")

    [contact] = published(uow, "resident_contact_recorded")
    assert contact["data"]["language"] == "es"
    with pytest.raises(ValidationError, match="two-letter ISO 639-1"):
        ReportSchema().load({**POTHOLE, "language": "spanish"})
