"""Root fixtures. Eventlet must patch the standard library before anything else imports it
(nameko 2.14's pytest plugin no longer does it)."""
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # eventlet announces its own deprecation on import
    import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from loop311_shared.db import with_driver  # noqa: E402
from support import (  # noqa: E402
    DEMO_PLATFORM,
    RAISED_LIMITS,
    TEST_ADMIN_TOKEN,
    TEST_API_KEY,
    Mailbox,
    accepting,
    free_port,
    wait_until,
)

ADMIN_DATABASE_URL = os.environ.get(
    "TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def new_database(container_factory):
    """Makes empty PostgreSQL databases that are dropped after the test, so every test
    starts from a fresh schema that the services' own migrations build. (Depending on
    `container_factory` makes the containers stop before their databases go.)"""
    # pre-ping: a test may restart PostgreSQL under the pooled connection.
    admin = create_engine(with_driver(ADMIN_DATABASE_URL), isolation_level="AUTOCOMMIT",
                          pool_pre_ping=True)
    created = []

    def make(label="db"):
        name = f"loop311_test_{label}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return ADMIN_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"

    yield make
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def service_config(rabbit_config, new_database):
    """Builds a nameko config for one service: the test's own vhost, its own database, a
    free HTTP port, and fast retries and polling so tests finish quickly."""

    def make(service_name, **overrides):
        config = {
            "AMQP_URI": rabbit_config["AMQP_URI"],
            "DATABASE_URL": new_database(service_name),
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
            "EVENT_RETRY_DELAYS_MS": "100,200",
            "OUTBOX_POLL_SECONDS": 0.2,
            "MAIL_POLL_SECONDS": 0.2,
            "OPEN311_API_KEYS": TEST_API_KEY,
            "ADMIN_API_TOKENS": f"tests:{TEST_ADMIN_TOKEN}",
            "JURISDICTION_ID": DEMO_PLATFORM,
            # Held messages and a paced provider have tests of their own; elsewhere they
            # would only make the time of day and the test's length matter.
            "QUIET_HOURS": "off",
            "SMS_RATE_PER_SECOND": 0,
            # Each test counts its rate limits in keys of its own.
            "RATE_LIMIT_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
            **RAISED_LIMITS,
        }
        config.update(overrides)
        return config

    return make


@pytest.fixture
def smtp_sink(tmp_path):
    """A real SMTP server (aiosmtpd) in its own process, storing mail in a maildir."""
    port = free_port()
    maildir = tmp_path / "mail"
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mailbox = Mailbox(maildir, port)
    wait_until(mailbox.accepting, timeout=20, message="SMTP sink did not start")
    yield mailbox
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def sms_provider(tmp_path):
    """Starts the local SMS provider (devtools/sms_provider.py: Twilio's API and the generic
    one) in its own process: `sms_provider(auth_token, undeliverable=...)` gives its `url`
    and the `folder` of the texts it took."""
    processes = []

    def start(auth_token, undeliverable=""):
        port, folder = free_port(), tmp_path / f"sms-{len(processes)}"
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "devtools.sms_provider", "--port", str(port), "--dir",
             str(folder), "--auth-token", auth_token, "--undeliverable", undeliverable],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_until(lambda: accepting(port), timeout=20, message="SMS provider did not start")
        return {"url": f"http://127.0.0.1:{port}", "folder": folder}

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def start_intake(container_factory):
    """Starts intake on the real broker and database with `config`, then imports the demo
    catalog through its admin API, as `make run` does."""
    from loop311_intake.service import IntakeService
    from support import import_configuration

    def start(config):
        container_factory(IntakeService, config).start()
        import_configuration(config, "catalog")
        return config

    return start
