"""Push, for real: notify sends through pywebpush, its FCM and its APNs senders to the local
push service (devtools/push_service.py, HTTP/1.1 and HTTP/2), and the test decrypts each
Web Push payload with the browser's own keys (http_ece), as a browser would."""
import base64
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import http_ece
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from loop311_contracts.envelope import make_envelope
from loop311_notify.models import (
    deliveries,
    known_requests,
    push_subscriptions,
    recipients,
    subscriptions,
)
from loop311_notify.service import NotifyService
from support import accepting, free_port, publish_envelope, rows, wait_until

ROOT = Path(__file__).resolve().parents[2]
VAPID_PRIVATE_KEY = "Ei3XeF--AwUSuYZJ6qAHH7hUJGq3LcxcA9oVMk-vaSM"  # tests only
FCM_TOKEN = "test-fcm-token"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Browser:
    """What a browser keeps for a PushSubscription: its ECDH key pair and auth secret."""

    def __init__(self, endpoint: str):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        self.subscription = {"endpoint": endpoint, "keys": {"p256dh": b64(public),
                                                            "auth": b64(self.auth)}}

    def read(self, record: dict) -> dict:
        plain = http_ece.decrypt(base64.b64decode(record["body"]), private_key=self.private_key,
                                 auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


@pytest.fixture
def apns_key(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    private = tmp_path / "AuthKey_TEST.p8"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public = tmp_path / "apns-public.pem"
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture
def push_service(tmp_path, apns_key):
    port, folder = free_port(), tmp_path / "push"
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.push_service", "--port", str(port), "--dir", str(folder),
         "--fcm-token", FCM_TOKEN, "--apns-public-key", str(apns_key[1])], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: accepting(port), timeout=20, message="the push service did not start")
    yield {"url": f"http://127.0.0.1:{port}", "folder": folder}
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def notify(container_factory, service_config, push_service, apns_key):
    config = service_config(
        "notify", VAPID_PRIVATE_KEY=VAPID_PRIVATE_KEY, VAPID_SUBJECT="mailto:311@city.example",
        PUSH_ALLOW_HTTP="true", FCM_BASE_URL=push_service["url"], FCM_PROJECT_ID="loop311-test",
        FCM_ACCESS_TOKEN=FCM_TOKEN, APNS_BASE_URL=push_service["url"],
        APNS_KEY_FILE=str(apns_key[0]), APNS_KEY_ID="KEY123", APNS_TEAM_ID="TEAM456",
        APNS_TOPIC="gov.city.loop311")
    config["url"] = config["NOTIFY_PUBLIC_URL"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    container_factory(NotifyService, config).start()
    return config


def report(config, request_id):
    publish_envelope(config["AMQP_URI"], make_envelope("request_created", request_id, {
        "request_id": request_id, "service_code": "pothole", "service_name": "Pothole Repair",
        "description": "deep", "lat": 27.7705, "long": -82.6383, "address": None,
        "channel": "web", "priority": "normal", "contact_ref": f"c-{request_id}",
        "requested_at": datetime.now(timezone.utc)}))
    publish_envelope(config["AMQP_URI"], make_envelope("resident_contact_recorded", request_id, {
        "contact_ref": f"c-{request_id}", "request_id": request_id, "email": None,
        "phone": None, "first_name": "Ada", "last_name": None, "language": None,
        "request_token": f"token-{request_id}"}))
    wait_until(lambda: rows(config["DATABASE_URL"], select(recipients.c.contact_ref).join(
        known_requests, known_requests.c.request_id == recipients.c.request_id).where(
        recipients.c.request_id == request_id)),
        message="notify never learned the request and its reporter")


def acknowledge(config, request_id):
    publish_envelope(config["AMQP_URI"], make_envelope("request_status_changed", request_id, {
        "request_id": request_id, "service_code": "pothole", "previous_status": "open",
        "status": "acknowledged", "resolution": None, "public_note": None,
        "changed_at": datetime.now(timezone.utc)}))


def kept(push_service, platform):
    return [json.loads(path.read_text()) for path in sorted(push_service["folder"].glob("*.json"))
            if json.loads(path.read_text())["platform"] == platform]


def test_a_browser_follows_its_request_and_decrypts_each_step(notify, push_service):
    report(notify, "51")
    browser = Browser(f"{push_service['url']}/push/browser-51")
    followed = requests.post(f"{notify['url']}/notify/v1/requests/51/push", json={
        "token": "token-51", "push": {"platform": "webpush",
                                      "subscription": browser.subscription}}, timeout=5)
    assert followed.status_code == 201, followed.text
    assert requests.post(f"{notify['url']}/notify/v1/requests/51/push", json={
        "token": "wrong", "push": {"platform": "webpush", "subscription": browser.subscription}},
        timeout=5).status_code == 404
    key = requests.get(f"{notify['url']}/notify/v1/push/key", timeout=5).json()["public_key"]
    assert len(base64.urlsafe_b64decode(key + "==")) == 65  # an uncompressed P-256 point

    acknowledge(notify, "51")
    [record] = wait_until(lambda: kept(push_service, "webpush"), message="no push arrived")
    assert record["content_encoding"] == "aes128gcm"
    assert record["vapid_sub"] == "mailto:311@city.example"
    message = browser.read(record)
    assert message["title"] == "Request #51 is acknowledged: Pothole Repair"
    assert "#51" in message["body"]
    assert f"/u/{followed.json()['id']}/" in message["unsubscribe"]  # its own way out
    assert requests.post(message["unsubscribe"], timeout=5).json()["status"] == "unsubscribed"


def test_a_subscription_the_push_service_forgot_is_removed(notify, push_service):
    report(notify, "52")
    browser = Browser(f"{push_service['url']}/push/gone-52")
    assert requests.post(f"{notify['url']}/notify/v1/requests/52/push", json={
        "token": "token-52", "push": {"platform": "webpush",
                                      "subscription": browser.subscription}},
        timeout=5).status_code == 201
    acknowledge(notify, "52")
    wait_until(lambda: not rows(notify["DATABASE_URL"], select(push_subscriptions.c.id).where(
        push_subscriptions.c.address.like("%gone-52"))), message="the 410 was not acted on")
    failed = rows(notify["DATABASE_URL"], select(deliveries.c.status, deliveries.c.last_error).where(
        deliveries.c.channel == "push", deliveries.c.request_id == "52",
        deliveries.c.last_error.like("%410%")))
    assert [status for status, _ in failed] == ["failed"]
    assert "unsubscribed" in {status for (status,) in rows(notify["DATABASE_URL"], select(
        subscriptions.c.status).where(subscriptions.c.request_id == "52"))}


def test_apps_get_the_same_news_through_fcm_and_apns(notify, push_service):
    report(notify, "53")
    for platform, token in (("fcm", "fcm-device-53"), ("apns", "a1b2c3d4e5f6apns53"),
                            ("apns", "gone-apns-53")):
        answer = requests.post(f"{notify['url']}/notify/v1/subscriptions", json={
            "kind": "request", "channel": "push", "request_id": "53",
            "push": {"platform": platform, "device_token": token}}, timeout=5)
        assert answer.status_code == 201, answer.text
    acknowledge(notify, "53")

    def fcm_for_53():
        return [r for r in kept(push_service, "fcm") if r["message"]["token"] == "fcm-device-53"]
    [fcm] = wait_until(fcm_for_53, message="FCM never got it")
    assert fcm["project"] == "loop311-test"
    assert fcm["message"]["notification"]["title"] == "Request #53 is acknowledged: Pothole Repair"
    [apns] = wait_until(lambda: kept(push_service, "apns"), message="APNs never got it")
    assert (apns["device_token"], apns["topic"], apns["team"]) == (
        "a1b2c3d4e5f6apns53", "gov.city.loop311", "TEAM456")
    assert "#53" in apns["payload"]["aps"]["alert"]["body"]
    wait_until(lambda: not rows(notify["DATABASE_URL"], select(push_subscriptions.c.id).where(
        push_subscriptions.c.address == "gone-apns-53")), message="APNs' 410 was not acted on")


def test_malformed_or_insecure_push_subscriptions_are_refused(notify, push_service):
    report(notify, "54")
    url = f"{notify['url']}/notify/v1/requests/54/push"
    malformed = requests.post(url, json={"token": "token-54", "push": {
        "platform": "webpush", "subscription": {"endpoint": "not a url", "keys": {}}}}, timeout=5)
    assert malformed.status_code == 400
    assert "endpoint" in malformed.text and "keys" in malformed.text
