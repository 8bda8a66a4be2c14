"""Phone dispatchers' call-in API, end to end through the broker."""
import pytest
import requests

from support import EventTap

DISPATCHER = {"Authorization": "Bearer desk-token"}
GAZETTEER = ("kind,name,zipcode,lat,long\n"
             "address,103 N Beacon St,02135,42.3549,-71.143\n"
             "intersection,5th Ave N & 22nd St,,42.3549,-71.1425\n")


@pytest.fixture
def intake(start_intake, service_config, tmp_path):
    gazetteer = tmp_path / "gazetteer.csv"
    gazetteer.write_text(GAZETTEER)
    config = service_config("intake", DISPATCHER_API_TOKENS="sam:desk-token",
                            GAZETTEER_PATH=str(gazetteer))
    start_intake(config)
    config["url"] = f"http://{config['WEB_SERVER_ADDRESS']}/dispatch/v1/call-ins"
    return config


def call_in(intake, body, headers=DISPATCHER):
    return requests.post(intake["url"], json=body, headers=headers, timeout=5)


def test_a_call_with_an_address_becomes_a_phone_request(intake):
    created = EventTap(intake["AMQP_URI"], "request_created")
    contact = EventTap(intake["AMQP_URI"], "resident_contact_recorded")

    answer = call_in(intake, {
        "caller": {"name": "Grace Hopper", "phone": "617 555 0100", "callback": "phone"},
        "location": {"address": "103 North Beacon Street"}, "service_code": "tree",
        "notes": "Large branch hanging over the sidewalk", "priority": "high"})

    assert answer.status_code == 201, answer.text
    taken = answer.json()
    assert taken["location"] == {"lat": 42.3549, "long": -71.143, "matched": "103 N Beacon St"}
    assert taken["open_requests_nearby"] == []
    event = created.next()
    assert (event["subject"], event["data"]["channel"]) == (taken["service_request_id"], "phone")
    assert (event["data"]["lat"], event["data"]["long"]) == (42.3549, -71.143)
    details = contact.next()["data"]
    assert (details["first_name"], details["last_name"], details["phone"]) == (
        "Grace", "Hopper", "+16175550100")


def test_an_anonymous_call_at_an_intersection_lists_open_requests_nearby(intake):
    first = call_in(intake, {"caller": None, "location": {"lat": 42.3550, "long": -71.1430},
                             "service_code": "pothole", "attribute": {"size": "large"}})
    assert first.status_code == 201, first.text

    second = call_in(intake, {"caller": None, "location": {"intersection": "5th Ave N & 22nd St"},
                              "service_code": "tree"})

    assert second.status_code == 201, second.text
    [nearby] = second.json()["open_requests_nearby"]
    assert nearby["service_request_id"] == first.json()["service_request_id"]
    assert nearby["service_code"] == "pothole"
    assert 30 < nearby["distance_m"] < 60


@pytest.mark.parametrize("body, status, says", [
    ({"location": {"address": "1 Nowhere Rd"}, "service_code": "tree"}, 422, "could not find"),
    ({"location": {"address": "103 N Beacon St", "lat": 1, "long": 1}, "service_code": "tree"},
     400, "exactly one of"),
    ({"location": {"intersection": "Main Street"}, "service_code": "tree"}, 400, "two streets"),
    ({"caller": {"name": "Ann", "callback": "phone"}, "location": {"lat": 1, "long": 1},
      "service_code": "tree"}, 400, "needs the caller's phone"),
    ({"location": {"lat": 1, "long": 1}, "service_code": "tree", "priority": "asap"}, 400,
     "priority"),
    ({"location": {"lat": 1, "long": 1}, "service_code": "housing"}, 400, "cannot be anonymous"),
])
def test_bad_call_ins_are_refused_with_a_reason(intake, body, status, says):
    answer = call_in(intake, body)
    assert answer.status_code == status, answer.text
    assert says in answer.json()[0]["description"]


def test_the_category_is_inferred_from_the_notes_when_not_picked(intake):
    answer = call_in(intake, {"caller": None, "location": {"lat": 42.35, "long": -71.14},
                              "notes": "Rats running around the dumpster behind the store"})
    assert answer.status_code == 201, answer.text
    category = answer.json()["category"]
    assert (category["service_code"], category["inferred"]) == ("rodent", True)
    assert 0 < category["confidence"] <= 1
    unclear = call_in(intake, {"caller": None, "location": {"lat": 42.35, "long": -71.14}})
    assert unclear.status_code == 400


def test_only_dispatchers_take_calls(intake):
    body = {"location": {"lat": 1, "long": 1}, "service_code": "tree"}
    assert call_in(intake, body, headers={}).status_code == 401
    assert call_in(intake, body, headers={"Authorization": "Bearer guess"}).status_code == 401
