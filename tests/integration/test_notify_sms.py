"""Texts to residents who left only a phone, through the official twilio library and a
local provider speaking Twilio's Messages API (devtools/sms_provider.py): a real HTTP round
trip each way, the provider's signed status callback included."""
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from loop311_contracts.envelope import make_envelope
from loop311_notify.models import deliveries, inbox, opt_outs
from loop311_notify.service import NotifyService
from support import publish_envelope, rows, wait_until

TOKEN = "provider-token"
SENDER = "+17275550311"
UNDELIVERABLE = "+17275550199"  # the provider answers its texts with `undelivered`
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def provider(sms_provider):
    return sms_provider(TOKEN, undeliverable=UNDELIVERABLE)


@pytest.fixture
def notify(container_factory, service_config, provider):
    config = service_config("notify", TWILIO_ACCOUNT_SID="ACloop311test", TWILIO_AUTH_TOKEN=TOKEN,
                            SMS_FROM=SENDER, SMS_BASE_URL=provider["url"],
                            STAFF_API_TOKENS="desk:staff-token")
    config["NOTIFY_PUBLIC_URL"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    container_factory(NotifyService, config).start()
    return config


def report(config, request_id, phone, email=None):
    publish_envelope(config["AMQP_URI"], make_envelope("resident_contact_recorded", request_id, {
        "contact_ref": f"c-{request_id}", "request_id": request_id, "email": email,
        "phone": phone, "first_name": None, "last_name": None, "language": None,
        "request_token": f"token-{request_id}"}))
    publish_envelope(config["AMQP_URI"], make_envelope("request_created", request_id, {
        "request_id": request_id, "service_code": "pothole", "service_name": "Pothole",
        "description": "deep", "lat": 1.0, "long": 2.0, "address": None, "channel": "sms",
        "priority": "normal", "contact_ref": f"c-{request_id}",
        "requested_at": datetime.now(timezone.utc)}))


def texts(provider):
    return [json.loads(path.read_text()) for path in sorted(provider["folder"].glob("*.json"))]


def status_of(config, request_id):
    return [status for (status,) in rows(config["DATABASE_URL"], select(deliveries.c.status)
                                         .where(deliveries.c.request_id == request_id))]


def test_a_resident_with_only_a_phone_is_texted_and_the_delivery_is_recorded(notify, provider):
    report(notify, "41", "+17275550100")

    [text] = wait_until(lambda: texts(provider), message="no text reached the provider")
    assert (text["to"], text["from"]) == ("+17275550100", SENDER)
    assert "#41" in text["body"] and "Reply STOP" in text["body"]
    wait_until(lambda: status_of(notify, "41") == ["delivered"],
               message="the provider's status callback was never recorded")


def test_a_number_that_texted_stop_gets_nothing(notify, provider):
    publish_envelope(notify["AMQP_URI"], make_envelope("resident_opted_out", "opt-out", {
        "phone": "+17275550111", "opted_out": True, "changed_at": datetime.now(timezone.utc)}))
    def stopped():
        return [tuple(row) for row in rows(notify["DATABASE_URL"],
                                           select(opt_outs.c.opted_out))] == [(True,)]
    wait_until(stopped, message="notify never recorded the STOP")
    report(notify, "42", "+17275550100")
    wait_until(lambda: texts(provider), message="the control text never came")
    report(notify, "43", "+17275550111")
    report(notify, "44", "+17275550100")  # sent after 43 was handled

    def handled():  # the STOP, and each report's contact and request
        return rows(notify["DATABASE_URL"], select(func.count()).select_from(inbox).where(
            inbox.c.consumer == "notify"))[0][0] == 7
    wait_until(handled, message="notify never handled every event")
    wait_until(lambda: len(texts(provider)) == 2, message="the second control text never came")
    assert {t["to"] for t in texts(provider)} == {"+17275550100"}
    assert status_of(notify, "43") == []


def test_a_forged_status_callback_is_refused(notify):
    answer = requests.post(f"http://{notify['WEB_SERVER_ADDRESS']}/sms/v1/status",
                           data={"MessageSid": "SM1", "MessageStatus": "delivered"},
                           headers={"X-Twilio-Signature": "forged"}, timeout=5)
    assert answer.status_code == 403


def ledger(config, request_id):
    return [tuple(row) for row in rows(config["DATABASE_URL"], select(
        deliveries.c.channel, deliveries.c.kind, deliveries.c.recipient, deliveries.c.status)
        .where(deliveries.c.request_id == request_id).order_by(deliveries.c.id))]


def preferences(config, request_id, method="PUT", **body):
    url = f"http://{config['WEB_SERVER_ADDRESS']}/notify/v1/requests/{request_id}/preferences"
    if method == "GET":
        return requests.get(url, params=body, timeout=5)
    return requests.put(url, json=body, timeout=5)


def test_residents_choose_their_channel_with_the_request_token_as_proof(notify, provider):
    report(notify, "45", "+17275550100", email="ada@example.org")
    wait_until(lambda: ledger(notify, "45"), message="no confirmation was queued")
    assert ledger(notify, "45")[0][:2] == ("email", "received")  # email by default

    refused = {
        "wrong token": (preferences(notify, "45", token="nope", address="ada@example.org",
                                    channel="sms"), 404),
        "someone else": (preferences(notify, "45", token="token-45", address="eve@example.org",
                                     channel="sms"), 403),
        "bad language": (preferences(notify, "45", token="token-45", address="ada@example.org",
                                     language="klingon"), 400),
        "bad hours": (preferences(notify, "45", token="token-45", address="ada@example.org",
                                  quiet_hours="late"), 400),
        "bad zone": (preferences(notify, "45", token="token-45", address="ada@example.org",
                                 time_zone="Mars/Olympus"), 400),
    }
    for case, (answer, code) in refused.items():
        assert answer.status_code == code, (case, answer.text)
        assert answer.json()[0]["description"], case

    chosen = preferences(notify, "45", token="token-45", address="+17275550100", channel="sms",
                         language="es", quiet_hours="")
    assert chosen.status_code == 200, chosen.text
    assert chosen.json() == {"request_id": "45", "channel": "sms", "language": "es",
                             "quiet_start": "", "quiet_end": "", "time_zone": None}
    assert preferences(notify, "45", "GET", token="token-45",
                       address="ADA@example.org").json()["channel"] == "sms"
    anonymous = preferences(notify, "45", "GET", address="ada@example.org")
    assert anonymous.status_code == 401  # no token: staff only
    by_staff = requests.get(f"http://{notify['WEB_SERVER_ADDRESS']}/notify/v1/requests/45/"
                            "preferences", params={"address": "ada@example.org"},
                            headers={"Authorization": "Bearer staff-token"}, timeout=5)
    assert (by_staff.status_code, by_staff.json()["language"]) == (200, "es")

    publish_envelope(notify["AMQP_URI"], make_envelope("request_status_changed", "45", {
        "request_id": "45", "service_code": "pothole", "previous_status": "open",
        "status": "acknowledged", "resolution": None, "public_note": None,
        "changed_at": datetime.now(timezone.utc)}))
    [text] = wait_until(lambda: [t for t in texts(provider) if "45" in t["body"]],
                        message="the acknowledgement never came by text")
    assert text["to"] == "+17275550100" and "su reporte n.º 45" in text["body"]  # in Spanish


def test_a_text_that_cannot_be_delivered_goes_by_email(notify, provider):
    report(notify, "46", UNDELIVERABLE, email="bea@example.org")
    wait_until(lambda: ledger(notify, "46"), message="no confirmation was queued")
    assert preferences(notify, "46", token="token-46", address="bea@example.org",
                       channel="sms").status_code == 200
    publish_envelope(notify["AMQP_URI"], make_envelope("request_status_changed", "46", {
        "request_id": "46", "service_code": "pothole", "previous_status": "open",
        "status": "in_progress", "resolution": None, "public_note": None,
        "changed_at": datetime.now(timezone.utc)}))
    wait_until(lambda: ("email", "in_progress", "bea@example.org") in
               [row[:3] for row in ledger(notify, "46")],
               message="the undelivered text never went by email")
    assert ("sms", "in_progress", UNDELIVERABLE, "failed") in ledger(notify, "46")


def test_the_generic_http_adapter_sends_with_an_idempotency_key(container_factory, service_config,
                                                                provider):
    config = service_config("notify", SMS_PROVIDER="http", SMS_FROM=SENDER,
                            SMS_HTTP_URL=f"{provider['url']}/v1/messages", SMS_HTTP_TOKEN=TOKEN)
    config["NOTIFY_PUBLIC_URL"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    container_factory(NotifyService, config).start()
    report(config, "47", "+17275550100")
    [text] = wait_until(lambda: texts(provider), message="no text reached the provider")
    assert text["to"] == "+17275550100" and len(text["idempotency_key"]) == 32
    wait_until(lambda: status_of(config, "47") == ["delivered"],
               message="the generic status callback was never recorded")
    forged = requests.post(f"http://{config['WEB_SERVER_ADDRESS']}/sms/v1/status/http",
                           json={"id": text["id"], "status": "failed"},
                           headers={"X-Loop311-Signature": "0" * 64}, timeout=5)
    assert forged.status_code == 403
