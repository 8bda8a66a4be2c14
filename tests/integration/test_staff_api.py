"""The staff API: status changes and comments, each announced as an event."""
import pytest
import requests

from support import TEST_API_KEY, EventTap

STAFF = "Bearer crew-token"


@pytest.fixture
def intake(start_intake, service_config):
    config = service_config("intake", STAFF_API_TOKENS="alice:crew-token")
    start_intake(config)
    base = f"http://{config['WEB_SERVER_ADDRESS']}"
    answer = requests.post(f"{base}/open311/v2/requests.json", timeout=5, data={
        "api_key": TEST_API_KEY, "service_code": "graffiti", "lat": "42.3", "long": "-71.1",
        "email": "ada@example.org"})
    config.update(base=base, request_id=answer.json()[0]["service_request_id"])
    return config


def staff_post(intake, what, body, authorization=STAFF, request_id=None):
    return requests.post(
        f"{intake['base']}/staff/v1/requests/{request_id or intake['request_id']}/{what}",
        json=body, headers={"Authorization": authorization} if authorization else {}, timeout=5)


def public(intake):
    return requests.get(f"{intake['base']}/open311/v2/requests/{intake['request_id']}.json",
                        params={"extensions": "true"}, timeout=5).json()[0]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic crew-token"])
def test_the_staff_api_needs_a_staff_token(intake, authorization):
    answer = staff_post(intake, "status", {"status": "acknowledged"}, authorization)
    assert answer.status_code == 401
    assert "Bearer" in answer.json()[0]["description"]
    assert public(intake)["status"] == "open"


def test_a_request_is_worked_closed_and_reopened_with_an_event_each_time(intake):
    changes = EventTap(intake["AMQP_URI"], "request_status_changed")

    for body in ({"status": "acknowledged"}, {"status": "in_progress"},
                 {"status": "closed", "resolution": "fixed", "note": "Painted over"}):
        assert staff_post(intake, "status", body).status_code == 200

    events = [changes.next()["data"] for _ in range(3)]
    assert [(e["previous_status"], e["status"]) for e in events] == [
        ("open", "acknowledged"), ("acknowledged", "in_progress"), ("in_progress", "closed")]
    assert events[2]["resolution"] == "fixed"
    shown = public(intake)
    assert (shown["status"], shown["status_notes"]) == ("closed", "Painted over")
    assert [n["summary"] for n in shown["notes"]][-1] == "Status changed to closed (fixed): Painted over"

    assert staff_post(intake, "status", {"status": "open"}).status_code == 200
    assert changes.next()["data"]["previous_status"] == "closed"
    assert public(intake)["status"] == "open"


@pytest.mark.parametrize("body, status, says", [
    ({"status": "closed"}, 400, "closing needs a resolution"),
    ({"status": "closed", "resolution": "bored"}, 400, "closing needs a resolution"),
    ({"status": "acknowledged", "resolution": "fixed"}, 400, "only closing"),
    ({"status": "done"}, 400, "status must be one of"),
    ({"status": "open"}, 409, "a request that is open cannot become open"),
])
def test_impossible_changes_are_refused_and_change_nothing(intake, body, status, says):
    answer = staff_post(intake, "status", body)
    assert answer.status_code == status
    assert says in answer.json()[0]["description"]
    assert public(intake)["status"] == "open"


def test_comments_are_public_or_internal(intake):
    comments = EventTap(intake["AMQP_URI"], "request_commented")

    assert staff_post(intake, "comments", {"text": "Crew booked for Tuesday"}).status_code == 201
    assert staff_post(intake, "comments", {"text": "Owner Ada asked us to call her back",
                                           "visibility": "internal"}).status_code == 201

    public_comment, internal_note = comments.next()["data"], comments.next()["data"]
    assert public_comment["text"] == "Crew booked for Tuesday"
    assert (internal_note["visibility"], internal_note["text"]) == ("internal", None)
    summaries = [n["summary"] for n in public(intake)["notes"]]
    assert "Crew booked for Tuesday" in summaries
    assert not any("Ada" in summary for summary in summaries)


def test_unknown_requests_and_bad_bodies(intake):
    assert staff_post(intake, "comments", {"text": "hi"}, request_id="999").status_code == 404
    assert staff_post(intake, "comments", {"text": ""}).status_code == 400
    assert staff_post(intake, "comments", {"text": "x", "visibility": "secret"}).status_code == 400
    answer = requests.post(f"{intake['base']}/staff/v1/requests/{intake['request_id']}/comments",
                           data="text=hi", headers={"Authorization": STAFF}, timeout=5)
    assert answer.status_code == 400
