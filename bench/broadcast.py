"""Broadcast benchmark: an announcement to 100,000 topic subscribers (40% email, 30% SMS,
30% Web Push) sent by notify replicas (`nameko run` processes) with pacing off through the
local providers (an SMTP server, devtools/sms_provider.py, devtools/push_service.py); and a
new request matched against 100,000 area subscriptions.

Subscribers are put straight into notify's database (the API would take longer than the
broadcast), at real places: points drawn inside Pinellas County's legal boundary
(config/demo/boundaries). Ends with the four lines the issue asks for. Usage:

    python bench/broadcast.py [--subscribers 100000] [--areas 100000] [--replicas 3]
"""
import argparse
import base64
import json
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from datetime import datetime, timezone
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from harness import (  # noqa: E402
    Scratch,
    exit_on_sigterm,
    free_port,
    healthy,
    percentile,
    wait_until,
)
from shapely.geometry import Point, shape  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import loop311_notify  # noqa: E402
from loop311_notify.domain.areas import Area  # noqa: E402
from loop311_notify.handlers.subscriptions import areas_holding  # noqa: E402
from loop311_notify.models import (  # noqa: E402
    configuration_versions,
    push_subscriptions,
    subscriptions,
)
from loop311_notify.unit_of_work import NotifyUnitOfWork  # noqa: E402
from loop311_shared.db import make_engine, migrate  # noqa: E402
from loop311_shared.reference_data import record_import  # noqa: E402

ADMIN_TOKEN = "bench-admin-token"
SMS_TOKEN = "bench-twilio-token"
VAPID_PRIVATE_KEY = "Ei3XeF--AwUSuYZJ6qAHH7hUJGq3LcxcA9oVMk-vaSM"  # local use only
COUNTY = ROOT / "config" / "demo" / "boundaries" / "pinellas_county_legal.geojson"
SHARES = (("email", 0.4), ("sms", 0.3), ("push", 0.3))
# Fictional numbers: the 555 exchange of three Florida area codes.
AREA_CODES = ("727", "813", "941")


def places(count: int, rng: random.Random) -> list[tuple[float, float]]:
    """`count` points inside Pinellas County (rejection sampling in its bounding box)."""
    county = shape(json.loads(COUNTY.read_text())["features"][0]["geometry"])
    west, south, east, north = county.bounds
    found = []
    while len(found) < count:
        long, lat = rng.uniform(west, east), rng.uniform(south, north)
        if county.contains(Point(long, lat)):
            found.append((lat, long))
    return found


def browser_keys(count: int) -> list[tuple[str, str]]:
    """Real P-256 keys and auth secrets, as browsers make them (shared by many endpoints)."""
    keys = []
    for _ in range(count):
        public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        keys.append((base64.urlsafe_b64encode(public).rstrip(b"=").decode(),
                     base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()))
    return keys


def subscriber_rows(count: int, push_url: str, now: datetime, rng: random.Random):
    """Active storm-topic subscriptions, and the push subscriptions the push ones use."""
    keys, topic_rows, push_rows, texted = browser_keys(50), [], [], 0
    for number in range(count):
        channel = "email" if number % 10 < 4 else "sms" if number % 10 < 7 else "push"
        if channel == "email":
            address = f"resident{number}@example.org"
        elif channel == "sms":
            area_code, line = divmod(texted, 10_000)
            address = f"+1{AREA_CODES[area_code % len(AREA_CODES)]}555{line:04d}"
            texted += 1
        else:
            push_id = str(uuid.UUID(int=number))
            p256dh, auth = keys[number % len(keys)]
            push_rows.append({"id": push_id, "platform": "webpush", "p256dh": p256dh,
                              "auth": auth, "address": f"{push_url}/push/bench-{number}",
                              "created_at": now})
            address = push_id
        topic_rows.append(_subscription(number, "topic", channel, address, now,
                                        language="es" if rng.random() < 0.2 else "en",
                                        topic="storm"))
    return topic_rows, push_rows


def area_rows(count: int, now: datetime, rng: random.Random):
    rows = []
    for number, (lat, long) in enumerate(places(count, rng)):
        if number % 10 == 0:  # a drawn square of about 1 km
            d = 0.0045
            area = Area(polygon={"type": "Polygon", "coordinates": [[
                [long - d, lat - d], [long + d, lat - d], [long + d, lat + d],
                [long - d, lat + d], [long - d, lat - d]]]})
        else:
            area = Area(lat, long, rng.uniform(200, 3000))
        south, north, west, east = area.bounds()
        rows.append(_subscription(count * 10 + number, "area", "email",
                                  f"neighbour{number}@example.org", now, area=area.document(),
                                  min_lat=south, max_lat=north, min_long=west, max_long=east,
                                  center_lat=area.lat, center_long=area.long,
                                  radius_m=area.radius_m))
    return rows


def _subscription(number, kind, channel, address, now, **values):
    return {"id": str(uuid.UUID(int=10**12 + number)), "kind": kind, "channel": channel,
            "address": address, "language": values.pop("language", "en"),
            "frequency": "immediate", "status": "active", "token": secrets.token_urlsafe(12),
            "fingerprint": uuid.uuid4().hex, "created_at": now, "confirmed_at": now, **values}


def load(engine, rows, table) -> None:
    with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(table), rows[start:start + 5000])


def area_match_ms(engine, points) -> list[float]:
    timings = []
    with Session(engine) as session:
        uow = NotifyUnitOfWork(session, None)
        for lat, long in points:
            started = time.perf_counter()
            areas_holding(uow, lat, long, "pothole")
            timings.append((time.perf_counter() - started) * 1000)
            session.rollback()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--areas", type=int, default=100_000)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--matches", type=int, default=1000)
    args = parser.parse_args()
    exit_on_sigterm()
    rng = random.Random(311)
    now = datetime.now(timezone.utc)
    work = Path(tempfile.mkdtemp(prefix="loop311-broadcast-"))
    with Scratch(f"loop311_bench_broadcast_{secrets.token_hex(3)}") as scratch:
        database_url = scratch.database("notify")
        engine = make_engine(database_url)
        scratch.on_exit("dispose engine", engine.dispose)
        migrate(engine, Path(loop311_notify.__file__).parent / "migrations")

        ports = {name: free_port() for name in ("smtp", "sms", "push")}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
        scratch.spawn("smtp", [sys.executable, "-m", "aiosmtpd", "-n", "-l",
                               f"127.0.0.1:{ports['smtp']}", "-c", "aiosmtpd.handlers.Mailbox",
                               str(work / "mail")], **quiet)
        scratch.spawn("sms", [sys.executable, "-m", "devtools.sms_provider", "--port",
                              str(ports["sms"]), "--dir", str(work / "sms"), "--auth-token",
                              SMS_TOKEN], **quiet)
        scratch.spawn("push", [sys.executable, "-m", "devtools.push_service", "--port",
                               str(ports["push"]), "--dir", str(work / "push")], **quiet)
        push_url = f"http://127.0.0.1:{ports['push']}"

        started = time.perf_counter()
        topic_rows, push_rows = subscriber_rows(args.subscribers, push_url, now, rng)
        load(engine, push_rows, push_subscriptions)
        load(engine, topic_rows, subscriptions)
        load(engine, area_rows(args.areas, now, rng), subscriptions)
        with Session(engine) as session:
            record_import(session, configuration_versions, "topics", {
                "format": "loop311.topics/1",
                "topics": [{"code": "storm", "name": {"en": "Storm updates"},
                            "description": ""}]}, "bench")
            session.commit()
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE subscriptions")
        print(f"broadcast: {args.subscribers} topic subscribers "
              + ", ".join(f"{share:.0%} {channel}" for channel, share in SHARES)
              + f", {args.areas} area subscriptions, loaded in "
              f"{time.perf_counter() - started:.1f} s")

        timings = area_match_ms(engine, places(args.matches, rng))
        print(f"  area match: {args.matches} new requests at random places in the county: "
              f"p50 {percentile(timings, 50):.2f} ms, p99 {percentile(timings, 99):.2f} ms")

        web = [f"http://127.0.0.1:{free_port()}" for _ in range(args.replicas)]
        for replica, url in enumerate(web):
            port = url.rsplit(":", 1)[1]
            env = {"AMQP_URI": scratch.amqp_uri, "DATABASE_URL": database_url,
                   "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "SMTP_HOST": "127.0.0.1",
                   "SMTP_PORT": str(ports["smtp"]), "TWILIO_ACCOUNT_SID": "ACbench",
                   "TWILIO_AUTH_TOKEN": SMS_TOKEN, "SMS_FROM": "+17275550311",
                   "SMS_BASE_URL": f"http://127.0.0.1:{ports['sms']}",
                   "SMS_RATE_PER_SECOND": "0", "VAPID_PRIVATE_KEY": VAPID_PRIVATE_KEY,
                   "PUSH_ALLOW_HTTP": "true", "QUIET_HOURS": "off", "MAIL_POLL_SECONDS": "0.5",
                   "ADMIN_API_TOKENS": f"bench:{ADMIN_TOKEN}",
                   # The SMS provider's status callbacks come back to the first replica.
                   "NOTIFY_PUBLIC_URL": web[0], "LOG_LEVEL": "WARNING",
                   "PATH": str(Path(sys.executable).parent)}
            log = open(work / f"notify-{replica}.log", "ab")
            scratch.spawn(f"notify {replica}", [str(Path(sys.executable).parent / "nameko"),
                                                "run", "--config",
                                                str(ROOT / "services/notify/config.yml"),
                                                "loop311_notify.service:NotifyService"],
                          env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT)
        for url in web:
            wait_until(lambda: healthy(url), 120, what=f"notify at {url}")

        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        began = time.perf_counter()
        answer = requests.post(f"{web[0]}/admin/v1/broadcasts", headers=headers, timeout=30,
                               json={"topic": "storm", "title": {"en": "Storm update"},
                                     "message": {"en": "Shelters open at noon."}})
        answer.raise_for_status()
        report_url = f"{web[0]}/admin/v1/broadcasts/{answer.json()['id']}"
        expanded_at, report = None, {}
        while True:
            report = requests.get(report_url, headers=headers, timeout=30).json()
            if expanded_at is None and report["status"] != "expanding":
                expanded_at = time.perf_counter() - began
            if report["status"] == "done":
                break
            time.sleep(1)
        seconds = time.perf_counter() - began
        totals = report["totals"]
        settled = sum(totals.get(status, 0) for status in ("sent", "delivered", "opted_out",
                                                           "failed"))
        stored = {"email": len(list((work / "mail" / "new").glob("*"))),
                  "sms": len(list((work / "sms").glob("*.json"))),
                  "push": len(list((work / "push").glob("*.json")))}
        print(f"  {args.replicas} notify replicas, pacing off: queued in {expanded_at:.1f} s, "
              f"all sent in {seconds:.1f} s ({report['recipients'] / seconds:.0f} messages/s); "
              f"ledger {totals}; providers hold {stored}")
        print(f"broadcast_recipients={report['recipients']}")
        print(f"broadcast_dropped={args.subscribers - settled}")
        print(f"broadcast_seconds={seconds:.1f}")
        print(f"area_match_p99_ms={percentile(timings, 99):.2f}")


if __name__ == "__main__":
    main()
