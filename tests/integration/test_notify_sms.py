"""Texts to residents who left only a phone, through the official twilio library and a
local provider speaking Twilio's Messages API (devtools/sms_provider.py): a real HTTP round
trip each way, the provider's signed status callback included."""
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from loop311_contracts.envelope import make_envelope
from loop311_notify.models import deliveries, inbox, opt_outs
from loop311_notify.service import NotifyService
from loop311_shared.db import make_engine
from support import free_port, publish_envelope, wait_until

TOKEN = "provider-token"
SENDER = "+17275550311"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def provider(tmp_path):
    port, folder = free_port(), tmp_path / "sms"
    process = subprocess.Popen([sys.executable, "-m", "devtools.sms_provider", "--port", str(port),
                                "--dir", str(folder), "--auth-token", TOKEN], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: _answers(port), timeout=20, message="SMS provider did not start")
    yield {"url": f"http://127.0.0.1:{port}", "folder": folder}
    process.terminate()
    process.wait(timeout=10)


def _answers(port):
    try:
        requests.get(f"http://127.0.0.1:{port}/", timeout=1)
        return True
    except OSError:
        return False


@pytest.fixture
def notify(container_factory, service_config, provider):
    config = service_config("notify", TWILIO_ACCOUNT_SID="ACloop311test", TWILIO_AUTH_TOKEN=TOKEN,
                            SMS_FROM=SENDER, SMS_BASE_URL=provider["url"])
    config["NOTIFY_PUBLIC_URL"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    container_factory(NotifyService, config).start()
    return config


def report(config, request_id, phone):
    publish_envelope(config["AMQP_URI"], make_envelope("resident_contact_recorded", request_id, {
        "contact_ref": f"c-{request_id}", "request_id": request_id, "email": None, "phone": phone,
        "first_name": None, "last_name": None, "language": None}))
    publish_envelope(config["AMQP_URI"], make_envelope("request_created", request_id, {
        "request_id": request_id, "service_code": "pothole", "service_name": "Pothole",
        "description": "deep", "lat": 1.0, "long": 2.0, "address": None, "channel": "sms",
        "priority": "normal", "contact_ref": f"c-{request_id}",
        "requested_at": datetime.now(timezone.utc)}))


def texts(provider):
    return [json.loads(path.read_text()) for path in sorted(provider["folder"].glob("*.json"))]


def status_of(config, request_id):
    engine = make_engine(config["DATABASE_URL"])
    with engine.connect() as connection:
        found = connection.execute(select(deliveries.c.status)
                                   .where(deliveries.c.request_id == request_id)).scalars().all()
    engine.dispose()
    return found


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
        engine = make_engine(notify["DATABASE_URL"])
        with engine.connect() as connection:
            found = connection.execute(select(opt_outs.c.opted_out)).scalars().all()
        engine.dispose()
        return found == [True]
    wait_until(stopped, message="notify never recorded the STOP")
    report(notify, "42", "+17275550100")
    wait_until(lambda: texts(provider), message="the control text never came")
    report(notify, "43", "+17275550111")
    report(notify, "44", "+17275550100")  # sent after 43 was handled

    def handled():
        engine = make_engine(notify["DATABASE_URL"])
        with engine.connect() as connection:
            count = connection.execute(select(func.count()).select_from(inbox)).scalar_one()
        engine.dispose()
        return count == 7  # the STOP, and each report's contact and request
    wait_until(handled, message="notify never handled every event")
    wait_until(lambda: len(texts(provider)) == 2, message="the second control text never came")
    assert {t["to"] for t in texts(provider)} == {"+17275550100"}
    assert status_of(notify, "43") == []


def test_a_forged_status_callback_is_refused(notify):
    answer = requests.post(f"http://{notify['WEB_SERVER_ADDRESS']}/sms/v1/status",
                           data={"MessageSid": "SM1", "MessageStatus": "delivered"},
                           headers={"X-Twilio-Signature": "forged"}, timeout=5)
    assert answer.status_code == 403
