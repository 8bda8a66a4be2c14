"""The request and its reporter's contact reach notify on two queues, possibly at the same
moment. Two transactions committing at once must still queue exactly one confirmation."""
from datetime import datetime, timezone
from pathlib import Path

import eventlet
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import loop311_notify
from loop311_contracts.envelope import make_envelope
from loop311_notify.handlers import handle_request_created, handle_resident_contact_recorded
from loop311_notify.models import deliveries
from loop311_notify.service import NotifyService
from loop311_notify.unit_of_work import NotifyUnitOfWork
from loop311_shared.db import make_engine, migrate
from support import free_port, publish_envelope, received_event, wait_until


def test_concurrent_request_and_contact_queue_one_confirmation(new_database):
    engine = make_engine(new_database("notify"))
    migrate(engine, Path(loop311_notify.__file__).parent / "migrations")
    request = received_event("request_created", {
        "request_id": "77", "service_code": "pothole", "service_name": "Pothole",
        "description": "deep", "lat": 1.0, "long": 2.0, "address": None, "channel": "web",
        "priority": "normal",
        "contact_ref": "c-77", "requested_at": datetime.now(timezone.utc)})
    contact = received_event("resident_contact_recorded", {
        "contact_ref": "c-77", "request_id": "77", "email": "ada@example.org", "phone": None,
        "first_name": None, "last_name": None})

    with Session(engine) as first, Session(engine) as second, engine.connect() as observer:
        handle_request_created(NotifyUnitOfWork(first, "notify"), request)  # not committed yet

        def apply_contact():
            uow = NotifyUnitOfWork(second, "notify")
            handle_resident_contact_recorded(uow, contact)
            uow.commit()

        worker = eventlet.spawn(apply_contact)

        def contact_done_or_waiting():
            waiting = observer.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )).scalar_one()
            return worker.dead or waiting

        wait_until(contact_done_or_waiting, message="contact transaction neither ran nor waited")
        first.commit()
        worker.wait()

        queued = first.execute(select(func.count()).select_from(deliveries)).scalar_one()
    engine.dispose()
    assert queued == 1


def test_two_notify_replicas_send_each_message_once(container_factory, service_config,
                                                     smtp_sink):
    config = service_config("notify", SMTP_PORT=smtp_sink.port)
    for address in (config["WEB_SERVER_ADDRESS"], f"127.0.0.1:{free_port()}"):
        container_factory(NotifyService, {**config, "WEB_SERVER_ADDRESS": address}).start()
    count = 40
    for n in range(count):
        publish_envelope(config["AMQP_URI"], make_envelope("resident_contact_recorded", str(n), {
            "contact_ref": f"c-{n}", "request_id": str(n), "email": f"r{n}@example.org",
            "phone": None, "first_name": None, "last_name": None, "language": None}))
        publish_envelope(config["AMQP_URI"], make_envelope("request_created", str(n), {
            "request_id": str(n), "service_code": "pothole", "service_name": "Pothole",
            "description": "deep", "lat": 1.0, "long": 2.0, "address": None, "channel": "web",
            "priority": "normal", "contact_ref": f"c-{n}",
            "requested_at": datetime.now(timezone.utc)}))
    engine = make_engine(config["DATABASE_URL"])

    def sent():
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(deliveries)
                                      .where(deliveries.c.status == "sent")).scalar_one()

    wait_until(lambda: sent() == count, timeout=60, message="not every confirmation was sent")
    engine.dispose()
    received = smtp_sink.messages()
    assert sorted(m["To"] for m in received) == sorted(f"r{n}@example.org" for n in range(count))
