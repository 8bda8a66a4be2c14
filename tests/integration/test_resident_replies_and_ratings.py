"""After a close residents say how we did, by text or by the links of the closing email; a
text from a resident with a lately updated request is a reply to it; "not fixed" reopens."""
import re

import pytest
import requests
from twilio.request_validator import RequestValidator

from support import TEST_API_KEY, EventTap

TWILIO_TOKEN = "twilio-test-token"
TEXTER = "+17275550123"
STAFF = {"Authorization": "Bearer staff-token"}
# St. Petersburg City Hall (the demo's real boundaries put it in the city).
CITY_HALL = {"lat": 27.7705, "long": -82.6383}


@pytest.fixture
def intake(start_intake, service_config):
    config = service_config("intake", TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
                            STAFF_API_TOKENS="crew:staff-token")
    start_intake(config)
    config["base"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    return config


def report(intake, **contact):
    answer = requests.post(f"{intake['base']}/open311/v2/requests.json", data={
        "api_key": TEST_API_KEY, "service_code": "pothole", "description": "Deep pothole",
        "attribute[size]": "large",
        **CITY_HALL, **contact}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()[0]


def text(intake, body):
    url = f"{intake['base']}/sms/v1/twilio"
    params = {"From": TEXTER, "To": "+17275550311", "Body": body, "MessageSid": "SM1"}
    answer = requests.post(url, data=params, timeout=5, headers={
        "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params)})
    assert answer.status_code == 200, answer.text
    return re.search(r"<Message>(.*)</Message>", answer.text, re.S).group(1)


def set_status(intake, request_id, status, **fields):
    return requests.post(f"{intake['base']}/staff/v1/requests/{request_id}/status",
                         json={"status": status, **fields}, headers=STAFF, timeout=5)


def status_of(intake, request_id):
    return requests.get(f"{intake['base']}/open311/v2/requests/{request_id}.json",
                        timeout=5).json()[0]["status"]


def test_a_close_needs_a_resolution_and_a_note_the_resident_will_read(intake):
    request_id = report(intake, email="ada@example.org")["service_request_id"]
    no_note = set_status(intake, request_id, "closed", resolution="fixed")
    assert no_note.status_code == 400 and "note" in no_note.json()[0]["description"]
    assert set_status(intake, request_id, "closed", resolution="fixed",
                      note="Patched with hot asphalt.").status_code == 200


def test_texts_from_a_reporter_are_comments_status_answers_and_ratings(intake):
    comments = EventTap(intake["AMQP_URI"], "request_commented")
    rated = EventTap(intake["AMQP_URI"], "resident_rated")
    request_id = report(intake, phone="(727) 555-0123")["service_request_id"]

    assert f"#{request_id}" in text(intake, "Is anyone coming? It got bigger")
    comment = comments.next()
    assert (comment["data"]["request_id"], comment["data"]["visibility"]) == (request_id,
                                                                              "internal")
    assert f"#{request_id} Request for Pothole Repair: open" in text(intake, "STATUS")
    assert f"#{request_id} Request for Pothole Repair: abierta" in text(intake, "estado")
    assert "can be rated once it is closed" not in text(intake, "5")  # open: a comment

    assert set_status(intake, request_id, "closed", resolution="fixed",
                      note="Patched.").status_code == 200
    assert "Thank you for rating" in text(intake, "4 stars, quick work")
    first = rated.next()["data"]
    assert (first["score"], first["not_fixed"], first["channel"]) == (4, False, "sms")
    assert "reopened" in text(intake, "2 - still not fixed, the hole is back")
    second = rated.next()["data"]
    assert (second["score"], second["not_fixed"]) == (2, True)
    assert second["rating_id"] == first["rating_id"]  # the same closing: the answer replaced
    assert status_of(intake, request_id) == "open"

    new_report = text(intake, "NEW there is graffiti on the library wall")
    assert "Where is it" in new_report or "What kind of problem" in new_report, new_report


def test_the_closing_emails_links_rate_the_request_or_reopen_it(intake):
    contacts = EventTap(intake["AMQP_URI"], "resident_contact_recorded")
    rated = EventTap(intake["AMQP_URI"], "resident_rated")
    answer = report(intake, email="ada@example.org")
    request_id, token = answer["service_request_id"], answer["token"]
    contact = contacts.next()["data"]
    assert contact["request_token"] == token
    link = f"{intake['base']}/requests/v1/{request_id}/rating"
    proof = {"token": token, "contact": contact["contact_ref"]}

    too_early = requests.get(link, params={**proof, "score": 5}, timeout=5)
    assert too_early.status_code == 409 and "closed" in too_early.json()[0]["description"]
    set_status(intake, request_id, "closed", resolution="fixed", note="Patched.")

    assert requests.get(link, params={**proof, "token": "0" * 36, "score": 5},
                        timeout=5).status_code == 403
    assert requests.get(link, params={**proof, "score": 9}, timeout=5).status_code == 400
    page = requests.get(link, params={**proof, "score": 5}, timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "5 of 5" in page.text
    assert (rated.next()["data"]["score"], status_of(intake, request_id)) == (5, "closed")

    form = requests.get(link, params={**proof, "not_fixed": "true"}, timeout=5)
    assert "What is still wrong?" in form.text and status_of(intake, request_id) == "closed"
    reopened = requests.post(link, data={**proof, "not_fixed": "true",
                                         "comment": "The hole is back after the rain"}, timeout=5)
    assert reopened.status_code == 200 and "open again" in reopened.text
    assert rated.next()["data"]["not_fixed"] is True
    assert status_of(intake, request_id) == "open"
