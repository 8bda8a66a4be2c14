"""Helpers the tests share: bounded waits, free ports, the mail sink, the broker."""
import copy
import functools
import mailbox
import socket
import time
from datetime import datetime, timezone
from email import message_from_bytes
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path

from kombu import Connection, Queue

from loop311_contracts.catalog import contract_for
from loop311_contracts.envelope import Event, make_envelope, read_envelope
from loop311_shared.admin_cli import import_document, load_document
from loop311_shared.topology import event_exchange

TEST_API_KEY = "test-client-key"
TEST_ADMIN_TOKEN = "test-admin-token"
DEMO_PLATFORM = "pinellas-county"  # the jurisdiction_id of config/demo's catalog
DEMO_CONFIGURATION = Path(__file__).resolve().parent.parent / "config" / "demo"


def wait_until(predicate, timeout=30.0, interval=0.05, message="condition not met"):
    """Poll an observable fact until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} within {timeout}s")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accepting(port: int) -> bool:
    """Whether something listens on this local port yet."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Mailbox:
    def __init__(self, maildir, port):
        self.maildir = maildir
        self.port = port

    def accepting(self) -> bool:
        return accepting(self.port)

    def messages(self):
        if not (self.maildir / "new").exists():
            return []
        box = mailbox.Maildir(self.maildir, create=False)
        return [message_from_bytes(box.get_bytes(key)) for key in sorted(box.keys(), key=arrival)]

    def for_request(self, request_id):
        return [m for m in self.messages() if m["X-Loop311-Request-Id"] == request_id]


def arrival(key: str) -> tuple[int, int, int]:
    """The order a maildir message arrived in: its key is seconds.M<microseconds>P<pid>Q<n>
    (the microseconds not zero-padded, so the keys do not sort as text)."""
    seconds, rest = key.split(".", 1)
    micro, _, queue = rest[1:].partition("P")
    return int(seconds), int(micro), int(queue.partition("Q")[2].split(".")[0] or 0)


class EventTap:
    """A test's own queue bound to an event exchange, as an integrator would bind one."""

    def __init__(self, amqp_uri, event_type):
        self.connection = Connection(amqp_uri)
        exchange = event_exchange(contract_for(event_type).exchange)
        self.queue = Queue(f"test-tap-{event_type}-{id(self)}", exchange=exchange,
                           routing_key=event_type, auto_delete=False, durable=False)
        self.queue = self.queue(self.connection.default_channel)
        self.queue.declare()

    def next(self, timeout=20.0):
        message = wait_until(lambda: self.queue.get(no_ack=True), timeout=timeout,
                             message="no event arrived")
        return message.decode()

    def drain(self):
        events = []
        while (message := self.queue.get(no_ack=True)) is not None:
            events.append(message.decode())
        return events

    def close(self):
        self.connection.release()


def publish_envelope(amqp_uri, envelope):
    """Publish a CloudEvents envelope exactly as a service's outbox relay would."""
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        exchange = event_exchange(contract_for(envelope["type"]).exchange)
        producer.publish(envelope, exchange=exchange, routing_key=envelope["type"],
                         declare=[exchange], serializer="json", retry=True)


def received_event(event_type: str, data: dict, subject: str | None = None) -> Event:
    """An event as a consumer receives it: enveloped, then read back."""
    return read_envelope(make_envelope(event_type, subject or data["request_id"], data))


# Rate limits have tests of their own; tests that send many requests from one address
# raise them, as the benchmarks do.
RAISED_LIMITS = {name: "100000/minute" for name in (
    "RATE_LIMIT_REPORTS_PER_IP", "RATE_LIMIT_REPORTS_PER_KEY", "RATE_LIMIT_LOOKUPS_PER_IP",
    "RATE_LIMIT_READS_PER_IP", "RATE_LIMIT_TEXTS_PER_NUMBER", "RATE_LIMIT_EMAILS_PER_SENDER",
    "RATE_LIMIT_PUBLIC_PER_IP")}


def _png() -> bytes:
    """A real (small, plain green) PNG: photos are kept only if they decode."""
    from PIL import Image as Picture

    out = BytesIO()
    Picture.new("RGB", (32, 24), (90, 140, 60)).save(out, "PNG")
    return out.getvalue()


PNG = _png()


def raw_email(subject, body, to="311@city.example", image_name=None) -> bytes:
    """An RFC 5322 message from Ada, with a small PNG attached when `image_name` is given."""
    message = EmailMessage()
    message["From"] = "Ada Lovelace <ada@example.org>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if image_name:
        message.add_attachment(PNG, maintype="image", subtype="png", filename=image_name)
    return message.as_bytes()


def demo_document(kind: str) -> dict:
    """The demo configuration make run loads (config/demo/<kind>.yml), a fresh copy."""
    return copy.deepcopy(_demo_document(kind))


@functools.cache
def _demo_document(kind: str) -> dict:
    return load_document(DEMO_CONFIGURATION / f"{kind}.yml")


def import_configuration(config: dict, kind: str, document: dict | None = None) -> dict:
    """Import reference data into a running service through its admin API, as an
    operator would; the demo document of that kind unless one is given."""
    return import_document(f"http://{config['WEB_SERVER_ADDRESS']}", kind,
                           document if document is not None else demo_document(kind),
                           TEST_ADMIN_TOKEN)


def request_created(request_id, service_code="pothole", lat=27.7705, long=-82.6383):
    """A request_created envelope as intake publishes it; by default a pothole at St.
    Petersburg's City Hall (the demo directory's ground)."""
    return make_envelope("request_created", request_id, {
        "request_id": request_id, "service_code": service_code, "service_name": service_code,
        "description": "deep", "lat": lat, "long": long, "address": None, "channel": "web",
        "priority": "normal", "category_suggestions": [],
        "contact_ref": None, "requested_at": datetime.now(timezone.utc)})


def rows(database_url: str, query) -> list:
    """A query's rows, read from a service's database on a connection of the test's own."""
    from loop311_shared.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(query).all()
    finally:
        engine.dispose()
