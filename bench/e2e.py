"""End-to-end benchmark: N concurrent Open311 POSTs through the running suite.

Prints throughput and latency percentiles for POST and for POST → confirmation email
recorded as sent in notify's ledger, next to the floor of a bare nameko HTTP → event
service driven the same way. Prints figures only. Usage:

    python bench/e2e.py [--requests 500] [--concurrency 20]
"""
import argparse
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.localsuite import SERVICES, LocalSuite  # noqa: E402
from loop311_shared.db import with_driver  # noqa: E402

RABBIT_API = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
ADMIN_DATABASE_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL",
                                    "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Scratch:
    """A vhost, databases and processes made for this run and removed after it."""

    def __init__(self):
        self.vhost = f"loop311_bench_{secrets.token_hex(4)}"
        self.databases = []
        self.admin = create_engine(with_driver(ADMIN_DATABASE_URL), isolation_level="AUTOCOMMIT")
        self.processes = []

    def __enter__(self):
        requests.put(f"{RABBIT_API}/api/vhosts/{self.vhost}", timeout=10).raise_for_status()
        requests.put(f"{RABBIT_API}/api/permissions/{self.vhost}/guest", timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        return self

    @property
    def amqp_uri(self):
        return f"pyamqp://guest:guest@127.0.0.1:5672/{self.vhost}"

    def database(self, label):
        name = f"{self.vhost}_{label}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.databases.append(name)
        return ADMIN_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"

    def spawn(self, *args, **kwargs):
        process = subprocess.Popen(*args, **kwargs)
        self.processes.append(process)
        return process

    def __exit__(self, *exc):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        with self.admin.connect() as connection:
            for name in self.databases:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()
        requests.delete(f"{RABBIT_API}/api/vhosts/{self.vhost}", timeout=10)


def drive(url_for, body_for, total, concurrency):
    """POST `total` requests from `concurrency` threads; return per-request records."""
    sessions = {}

    def one(number):
        session = sessions.setdefault(threading_ident(), requests.Session())
        started_wall, started = time.time(), time.perf_counter()
        try:
            answer = session.post(url_for(number), timeout=30, **body_for(number))
            ok = answer.status_code == 201
        except requests.RequestException:
            answer, ok = None, False
        return {"number": number, "started_wall": started_wall, "ok": ok,
                "latency": time.perf_counter() - started, "answer": answer}

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        records = list(pool.map(one, range(total)))
    return records, time.perf_counter() - began


def threading_ident():
    import threading
    return threading.get_ident()


def wait_for(fetch, expected, timeout):
    deadline = time.monotonic() + timeout
    found = fetch()
    while len(found) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
        found = fetch()
    return found


def percentiles(values):
    if not values:
        return ["-"] * 5
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return [f"{pick(q) * 1000:.1f}" for q in (0.5, 0.9, 0.99)] + [
        f"{ordered[-1] * 1000:.1f}", f"{sum(ordered) / len(ordered) * 1000:.1f}"]


def run_loop311(scratch, workdir, total, concurrency):
    smtp_port = free_port()
    scratch.spawn([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}",
                   "-c", "aiosmtpd.handlers.Mailbox", str(workdir / "mail")],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    suite = LocalSuite(workdir / "suite", scratch.amqp_uri,
                       database_urls={name: scratch.database(name) for name in SERVICES},
                       ports={name: free_port() for name in SERVICES}, smtp_port=smtp_port,
                       extra_env={"LOG_LEVEL": "WARNING", "MAIL_POLL_SECONDS": "1.0",
                                  "OPEN311_API_KEYS": "bench-key"})
    try:
        suite.start_all()
        url = suite.url("intake", "/open311/v2/requests.json")
        records, elapsed = drive(lambda n: url, lambda n: {"data": {
            "service_code": "pothole", "attribute[size]": "medium", "api_key": "bench-key",
            "description": f"bench pothole {n}",
            # Spread over a 28 km x 160 m strip like reports across a city, at least ~80 m
            # apart, so none is folded into another as a duplicate.
            "lat": f"{42.2 + (n * 169 % 250) * 0.001:.4f}",
            "long": f"{-71.2 + (n // 250) * 0.001:.4f}",
            "email": f"bench+{n}@example.org"}},
            total, concurrency)
        started = {r["answer"].json()[0]["service_request_id"]: r["started_wall"]
                   for r in records if r["ok"]}
        ledger = create_engine(with_driver(suite.database_urls["notify"]))

        def sent():
            with ledger.connect() as connection:
                return connection.execute(text(
                    "SELECT request_id, sent_at FROM deliveries WHERE status = 'sent'")).all()

        rows = wait_for(sent, len(started), timeout=180)
        with ledger.connect() as connection:
            statuses = dict(connection.execute(text(
                "SELECT status, count(*) FROM deliveries GROUP BY status")).all())
        ledger.dispose()
        if len(rows) < len(started):
            print(f"  ledger after waiting: {statuses}; see {suite.workdir}/notify.log")
            print((suite.workdir / "notify.log").read_text()[-3000:])
        done = [(row.sent_at.timestamp() - started[row.request_id]) for row in rows
                if row.request_id in started]
        last = max((row.sent_at.timestamp() for row in rows), default=time.time())
        first = min(started.values(), default=time.time())
        return records, elapsed, done, last - first
    finally:
        suite.stop_all()


def run_floor(scratch, workdir, total, concurrency):
    receipts = workdir / "floor-receipts.txt"
    receipts.touch()
    port = free_port()
    config = workdir / "floor.yml"
    config.write_text(f"AMQP_URI: {scratch.amqp_uri}\nWEB_SERVER_ADDRESS: 127.0.0.1:{port}\n")
    env = {**os.environ, "FLOOR_RECEIPTS": str(receipts)}
    nameko = str(Path(sys.executable).parent / "nameko")
    log = open(workdir / "floor.log", "ab")
    # The consumer starts first so its queue exists before anything is published.
    scratch.spawn([nameko, "run", "--config", str(config), "floor_service:FloorConsumer",
                   "floor_service:FloorIntake"], cwd=ROOT / "bench", env=env,
                  stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.post(f"http://127.0.0.1:{port}/requests", json={"id": "warmup"}, timeout=2)
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise RuntimeError(f"floor service did not start; see {workdir / 'floor.log'}")
            time.sleep(0.2)
    records, elapsed = drive(lambda n: f"http://127.0.0.1:{port}/requests",
                             lambda n: {"json": {"id": str(n)}}, total, concurrency)
    started = {str(r["number"]): r["started_wall"] for r in records if r["ok"]}

    def received():
        lines = [line.split() for line in receipts.read_text().splitlines()]
        return [(key, float(at)) for key, at in lines if key in started]

    rows = wait_for(received, len(started), timeout=60)
    done = [at - started[key] for key, at in rows]
    last = max((at for _, at in rows), default=time.time())
    return records, elapsed, done, last - min(started.values(), default=time.time())


def report(name, total, result):
    records, elapsed, done, span = result
    accepted = [r for r in records if r["ok"]]
    print(f"\n{name}")
    print(f"  posted {total}, accepted {len(accepted)}, errors {total - len(accepted)}, "
          f"end to end {len(done)}")
    print(f"  throughput: {len(accepted) / elapsed:8.1f} POST/s accepted; "
          f"{len(done) / span if span > 0 else 0:8.1f} /s end to end")
    print(f"  {'latency (ms)':<28}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}{'mean':>9}")
    print(f"  {'POST':<28}" + "".join(f"{v:>9}" for v in percentiles(
        [r["latency"] for r in accepted])))
    print(f"  {'POST -> ' + ('email sent' if 'Loop311' in name else 'event consumed'):<28}"
          + "".join(f"{v:>9}" for v in percentiles(done)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    print(f"Loop311 end-to-end benchmark — {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {args.requests} requests, {args.concurrency} clients")
    print("POST -> email sent: notify's ledger sent_at minus the client's wall-clock POST start.")
    with tempfile.TemporaryDirectory(prefix="loop311-bench-") as tmp, Scratch() as scratch:
        workdir = Path(tmp)
        loop311 = run_loop311(scratch, workdir, args.requests, args.concurrency)
        floor = run_floor(scratch, workdir, args.requests, args.concurrency)
    report("Loop311 (intake → routing → sla, notify → SMTP; PostgreSQL, outbox, inbox)",
           args.requests, loop311)
    report("Floor: bare nameko HTTP → event → consumer (no database)", args.requests, floor)


if __name__ == "__main__":
    main()
