"""Integrator accounts on the real broker (made through its management API) and replay
from the stream, with the very example files the docs tell integrators to copy."""
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import eventlet
import pika
import pytest
import requests
from sqlalchemy import select

from loop311_notify.models import integrators
from loop311_notify.service import NotifyService
from support import TEST_ADMIN_TOKEN, publish_envelope, request_created, rows

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrators"
ADMIN = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}
MANAGEMENT = "http://127.0.0.1:15672/api"


@pytest.fixture
def notify(container_factory, service_config):
    config = service_config("notify")
    config["url"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    container_factory(NotifyService, config).start()
    return config


@pytest.fixture(autouse=True)
def no_users_left_behind():
    """Broker users outlive the test's vhost: remove those the test made."""
    before = set(integrator_users())
    yield
    for username in set(integrator_users()) - before:
        requests.delete(f"{MANAGEMENT}/users/{username}", auth=("guest", "guest"), timeout=10)


def integrator_users() -> list[str]:
    users = requests.get(f"{MANAGEMENT}/users", auth=("guest", "guest"), timeout=10).json()
    return [user["name"] for user in users if user["name"].startswith("integrator-")]


def create(notify, name, **body):
    return requests.post(f"{notify['url']}/integrations/v1/integrators", headers=ADMIN,
                         json={"name": name, **body}, timeout=20)


def amqp_url(notify, username, password) -> str:
    vhost = notify["AMQP_URI"].rsplit("/", 1)[1]
    return f"amqp://{username}:{quote(password, safe='')}@127.0.0.1:5672/{vhost}"


def broker_user(username):
    return requests.get(f"{MANAGEMENT}/users/{username}", auth=("guest", "guest"), timeout=10)


def refused(channel_action) -> str:
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as closed:
        channel_action()
    return closed.value.reply_text


def test_an_integrator_reads_public_exchanges_into_its_own_queues_and_nothing_else(notify):
    name = f"gis-{uuid.uuid4().hex[:6]}"
    made = create(notify, name, description="County GIS dashboard")
    assert made.status_code == 201, made.text
    account = made.json()
    assert account["username"] == f"integrator-{name}"
    assert account["queue_prefix"] == f"integrator.{name}."
    assert "intake.private" not in account["exchanges"]
    connection = pika.BlockingConnection(pika.URLParameters(
        amqp_url(notify, account["username"], account["password"])))
    try:
        channel = connection.channel()
        own = f"integrator.{name}.requests"
        channel.queue_declare(own, durable=True)
        channel.queue_bind(own, "intake.events", routing_key="request_created")
        channel.queue_bind(own, "routing.events", routing_key="#")

        assert "ACCESS_REFUSED" in refused(lambda: connection.channel().queue_bind(
            own, "intake.private", routing_key="#"))
        assert "ACCESS_REFUSED" in refused(lambda: connection.channel().basic_get(
            "loop311.notify.request_created"))  # a service's own queue
        assert "ACCESS_REFUSED" in refused(lambda: connection.channel().queue_declare(
            f"integrator.someone-else.{name}"))
        confirming = connection.channel()
        confirming.confirm_delivery()  # so the refusal comes back to basic_publish
        assert "ACCESS_REFUSED" in refused(lambda: confirming.basic_publish(
            "intake.events", "request_created", b"{}"))
    finally:
        connection.close()

    listed = requests.get(f"{notify['url']}/integrations/v1/integrators", headers=ADMIN, timeout=10)
    assert [entry["name"] for entry in listed.json()] == [name]
    assert "password" not in listed.json()[0]


def test_a_taken_name_is_a_409_and_revoking_removes_the_broker_user(notify):
    name = f"news-{uuid.uuid4().hex[:6]}"
    account = create(notify, name).json()
    again = create(notify, name)
    assert again.status_code == 409 and "exists already" in again.json()[0]["description"]
    connection = pika.BlockingConnection(pika.URLParameters(
        amqp_url(notify, account["username"], account["password"])))

    revoked = requests.delete(f"{notify['url']}/integrations/v1/integrators/{name}",
                              headers=ADMIN, timeout=20)

    assert revoked.status_code == 204
    assert broker_user(account["username"]).status_code == 404
    with pytest.raises(pika.exceptions.AMQPError):  # its open connection was closed too
        for _ in range(50):
            connection.process_data_events(time_limit=0.2)
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        pika.BlockingConnection(pika.URLParameters(
            amqp_url(notify, account["username"], account["password"])))
    assert requests.delete(f"{notify['url']}/integrations/v1/integrators/{name}",
                           headers=ADMIN, timeout=20).status_code == 404


def test_nothing_is_half_created(notify, container_factory, service_config):
    # A broker user of that name already exists (made outside Loop311): 409, and no row.
    name = f"crm-{uuid.uuid4().hex[:6]}"
    requests.put(f"{MANAGEMENT}/users/integrator-{name}", auth=("guest", "guest"),
                 json={"password": "theirs", "tags": ""}, timeout=10).raise_for_status()
    try:
        clash = create(notify, name)
        assert clash.status_code == 409 and "broker already has" in clash.text
        assert broker_user(f"integrator-{name}").status_code == 200  # theirs, untouched
    finally:
        requests.delete(f"{MANAGEMENT}/users/integrator-{name}", auth=("guest", "guest"),
                        timeout=10)
    # The management API cannot be reached: a 503, and neither a user nor a row.
    unreachable = service_config("notify", RABBITMQ_MANAGEMENT_URL="http://guest:guest@127.0.0.1:1")
    unreachable["DATABASE_URL"] = notify["DATABASE_URL"]
    unreachable["url"] = f"http://{unreachable['WEB_SERVER_ADDRESS']}"
    container_factory(NotifyService, unreachable).start()
    failed = create(unreachable, name)
    assert failed.status_code == 503 and "management API" in failed.text
    assert broker_user(f"integrator-{name}").status_code == 404
    assert rows(notify["DATABASE_URL"], select(integrators.c.name)) == []

    assert create(notify, "x").status_code == 400  # too short a name
    assert requests.post(f"{notify['url']}/integrations/v1/integrators",
                         json={"name": "valid-name"}, timeout=10).status_code == 401


def test_replay_from_a_timestamp_returns_the_events_after_it_in_order(start_intake, service_config):
    # intake's outbox relay makes the stream and binds it to intake.events, as it starts.
    intake = start_intake(service_config("intake"))
    subject = uuid.uuid4().hex[:8]

    def publish(number):
        envelope = request_created(f"{subject}-{number}")
        publish_envelope(intake["AMQP_URI"], envelope)
        return envelope["id"]

    before = [publish(n) for n in range(3)]
    since = datetime.now(timezone.utc)
    after = [publish(n) for n in range(3, 8)]

    replay = subprocess.run(
        [sys.executable, str(DOCS / "replay.py"), since.isoformat()], text=True,
        capture_output=True, timeout=60,
        env={"LOOP311_AMQP_URL": intake["AMQP_URI"].replace("pyamqp://", "amqp://", 1),
             "LOOP311_IDLE_SECONDS": "2", "PATH": ""})

    assert replay.returncode == 0, replay.stderr
    printed = [line.rsplit(" id ", 1)[1] for line in replay.stdout.splitlines()
               if f"request {subject}-" in line]
    assert printed == after
    assert not set(before) & set(printed)


def test_the_quickstart_runs_as_an_integrator_and_receives_a_request_created_cloudevent(notify):
    name = f"quick-{uuid.uuid4().hex[:6]}"
    account = create(notify, name).json()
    consumer = subprocess.Popen(
        [sys.executable, str(DOCS / "quickstart.py"), "1"], text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, env={
            "LOOP311_AMQP_URL": amqp_url(notify, account["username"], account["password"]),
            "LOOP311_INTEGRATOR": name, "PATH": ""})
    try:
        with eventlet.Timeout(20):
            assert consumer.stdout.readline().startswith(
                f"waiting for events on integrator.{name}.events")
        publish_envelope(notify["AMQP_URI"], request_created("77"))
        with eventlet.Timeout(20):
            printed = consumer.stdout.read()
        assert consumer.wait(timeout=10) == 0, printed
    finally:
        consumer.kill()
    assert " request_created v3 request 77: " in printed
    assert '"service_code": "pothole"' in printed
