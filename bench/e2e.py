"""End-to-end benchmark: N Open311 POSTs from C concurrent clients through Loop311, next to
the floor of a bare nameko HTTP → event → consumer service driven the same way.

Builds everything it needs and removes it afterwards (a RabbitMQ vhost, one PostgreSQL
database per service, an aiosmtpd SMTP sink, the service processes). Prints figures only;
see bench/README.md for how to read them. Usage:

    python bench/e2e.py [--requests 500] [--concurrency 20]
"""
import argparse
import importlib.metadata
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from harness import (  # noqa: E402
    LoadResult,
    Scratch,
    drive,
    exit_on_sigterm,
    free_port,
    percentile,
    stop_process,
    wait_for_count,
    wait_until,
)
from profiling import LAUNCHER, CpuMeter, Recording, summary  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from devtools.localsuite import SERVICES, LocalSuite  # noqa: E402
from loop311_shared.db import with_driver  # noqa: E402

API_KEY = "bench-key"
# Only what the benchmark must set; everything else is the services' config.yml default.
# A load test is one client at one address with one key: the rate limits are raised for it.
LOOP311_ENV = {"LOG_LEVEL": "WARNING", "OPEN311_API_KEYS": API_KEY, **{
    name: "1000000/minute" for name in (
        "RATE_LIMIT_REPORTS_PER_IP", "RATE_LIMIT_REPORTS_PER_KEY", "RATE_LIMIT_LOOKUPS_PER_IP",
        "RATE_LIMIT_READS_PER_IP", "RATE_LIMIT_TEXTS_PER_NUMBER", "RATE_LIMIT_EMAILS_PER_SENDER",
        "RATE_LIMIT_PUBLIC_PER_IP")}}
FLOOR_QUEUE = "evt-floor_intake-request_received--floor_consumer.handle"


# The resident's confirmation, not the other messages a request makes (staff new work).
CONFIRMATION = "kind = 'received'"


def open311_form(number) -> dict:
    """A pothole report with an email address, as an Open311 client would POST it.

    Reports are spread over a ~28 km x (N/250 * 100 m) grid through Pinellas County (the
    demo directory: Seminole, Largo, Clearwater … and unincorporated land), at least ~100 m
    apart, so none falls within intake's duplicate radius (50 m) of another and each one
    is a new request with its own confirmation. The warm-up report sits off the grid."""
    if number == "warmup":
        lat, long = 27.7000, -82.7000
    else:
        lat, long = 27.75 + (number * 169 % 250) * 0.001, -82.75 + (number // 250) * 0.001
    return {"api_key": API_KEY, "service_code": "pothole", "attribute[size]": "medium",
            "description": f"bench pothole {number}", "lat": f"{lat:.4f}", "long": f"{long:.4f}",
            "email": f"bench+{number}@example.org"}


def request_id_of(answer) -> str:
    return answer.json()[0]["service_request_id"]


@dataclass
class Outcome:
    load: LoadResult
    completed_at: dict          # request_id -> unix time the request was complete
    checks: list = field(default_factory=list)   # (label, value) pairs, printed as given

    def end_to_end(self) -> list[float]:
        return [self.completed_at[s.request_id] - s.started_wall for s in self.load.accepted
                if s.request_id in self.completed_at]

    def completion_span(self) -> float:
        accepted = self.load.accepted
        finished = [self.completed_at[s.request_id] for s in accepted
                    if s.request_id in self.completed_at]
        if not finished:
            return 0.0
        return max(finished) - min(s.started_wall for s in accepted)


# -- Loop311 -------------------------------------------------------------------------------
def run_loop311(scratch: Scratch, workdir: Path, args, intakes: int = 1) -> Outcome:
    """One Loop311 run on databases of its own; with `intakes` > 1, that many intake
    processes share the load (the clients split evenly over their ports)."""
    label = "" if intakes == 1 else f"_{intakes}intakes"
    replicas = [f"intake-{number}" for number in range(2, intakes + 1)]
    smtp_port = free_port()
    maildir = workdir / f"mail{label}"  # aiosmtpd's Mailbox creates it
    smtp = scratch.spawn("SMTP sink", [
        sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}",
        "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: port_open(smtp_port), timeout=30, what="SMTP sink listening")

    databases = {name: scratch.database(name + label) for name in SERVICES}
    profiled = {}
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        profiled = {"launcher": LAUNCHER,
                    "extra_env": {**LOOP311_ENV,
                                  "LOOP311_CPU_PROFILE_DIR": str(args.profile.resolve())}}
    suite = LocalSuite(workdir / f"suite{label}", scratch.amqp_uri, database_urls=databases,
                       ports={name: free_port() for name in [*SERVICES, *replicas]},
                       smtp_port=smtp_port,
                       **{"extra_env": LOOP311_ENV, **profiled})
    scratch.on_exit("stop the Loop311 services", suite.stop_all)
    engines = {name: create_engine(with_driver(url)) for name, url in databases.items()}
    for name, engine in engines.items():
        scratch.on_exit(f"dispose {name} engine", engine.dispose)

    def scalar(service, sql, **params):
        with engines[service].connect() as connection:
            return connection.execute(text(sql), params).scalar_one()

    suite.start_all(timeout=120)
    for replica in replicas:
        suite.start("intake", name=replica)
        suite.wait_healthy(replica, timeout=120)
    url = suite.url("intake", "/open311/v2/requests.json")
    urls = [suite.url(name, "/open311/v2/requests.json") for name in ["intake", *replicas]]

    # One request all the way through first, so no figure includes first-use costs
    # (connection pools, SMTP connection, queue declarations, imports on first call).
    warmup = requests.post(url, data=open311_form("warmup"), timeout=60)
    warmup.raise_for_status()
    warm_id = request_id_of(warmup)
    wait_until(lambda: scalar("notify", f"SELECT count(*) FROM deliveries WHERE {CONFIRMATION} "
                                        "AND status = 'sent'"),
               timeout=60, what="warm-up confirmation email")

    cpu = CpuMeter({**{name: process.pid for name, process in suite.processes.items()},
                    "SMTP sink": smtp.pid})
    recording = (Recording(args.profile, {name: process.pid for name, process
                                          in suite.processes.items()})
                 if args.profile else None)
    load = drive(urls, open311_form, args.requests, args.concurrency, request_id_of)
    expected = len(load.accepted)
    not_warm = "request_id <> :warm"
    sent = wait_for_count(lambda: scalar(
        "notify", f"SELECT count(*) FROM deliveries WHERE {CONFIRMATION} AND status = 'sent' "
                  f"AND {not_warm}",
        warm=warm_id), expected, timeout=args.timeout)
    with engines["notify"].connect() as connection:
        rows = connection.execute(text(
            f"SELECT request_id, sent_at FROM deliveries WHERE {CONFIRMATION} "
            "AND status = 'sent'")).all()
        statuses = dict(connection.execute(text(
            f"SELECT status, count(*) FROM deliveries WHERE {CONFIRMATION} AND {not_warm} "
            "GROUP BY status"),
            {"warm": warm_id}).all())
    completed_at = {row.request_id: row.sent_at.timestamp() for row in rows
                    if row.request_id != warm_id}

    # The other branch of the pipeline, for the record: did every request get routed and
    # an SLA clock? (Not on the confirmation's path, but sharing the same two cores.)
    assigned = wait_for_count(lambda: scalar(
        "routing", f"SELECT count(*) FROM assignments WHERE state = 'assigned' AND {not_warm}",
        warm=warm_id),
        expected, timeout=args.timeout, stall=15)
    clocked = wait_for_count(lambda: scalar(
        "sla", f"SELECT count(*) FROM clocks WHERE started_at IS NOT NULL AND {not_warm}",
        warm=warm_id),
        expected, timeout=args.timeout, stall=15)
    cpu_used = cpu.stop()
    if recording is not None:
        profiles = recording.stop()
    # The residents' confirmations (the crews are told of their new work too).
    mails = sum(1 for path in (maildir / "new").iterdir()
                if b"\nTo: bench+" in path.read_bytes()) - 1 if (maildir / "new").exists() else 0

    if sent < expected or assigned < expected or clocked < expected:
        show_log_tails(suite.workdir, SERVICES)
    suite.stop_all()
    stop_process(smtp)
    if recording is not None:
        print("\nWhere the CPU went, from the first POST until the last request was through "
              "every service\n(yappi, CPU clock; the .pstat files open with python -m pstats "
              "or snakeviz):")
        summaries = [summary(path) + f"\n  whole profile: {path}" for path in profiles.values()]
        print("\n".join(summaries))
        (args.profile / "summary.txt").write_text("\n".join(summaries) + "\n")
    return Outcome(load, completed_at, checks=[
        ("routing: requests assigned", assigned),
        ("sla: clocks started", clocked),
        ("notify: ledger by status", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
         or "none"),
        ("SMTP sink: messages received", mails),
        ("CPU used, POSTs to last through", cpu_used),
    ])


# -- floor ---------------------------------------------------------------------------------
def run_floor(scratch: Scratch, workdir: Path, args) -> Outcome:
    receipts = workdir / "floor-receipts.txt"
    receipts.touch()
    port = free_port()
    config = workdir / "floor.yml"
    config.write_text(f"AMQP_URI: '{scratch.amqp_uri}'\n"
                      f"WEB_SERVER_ADDRESS: '127.0.0.1:{port}'\nmax_workers: 10\n")
    env = {**os.environ, "FLOOR_RECEIPTS": str(receipts)}
    nameko = str(Path(sys.executable).parent / "nameko")
    processes = []
    for service in ("FloorConsumer", "FloorIntake"):
        log = open(workdir / f"floor-{service}.log", "ab")
        processes.append(scratch.spawn(service, [
            nameko, "run", "--config", str(config), f"floor_service:{service}"],
            cwd=BENCH, env=env, stdout=log, stderr=subprocess.STDOUT))
        log.close()
        if service == "FloorConsumer":
            # The consumer's queue must exist before anything is published to it.
            wait_until(lambda: scratch.queue_exists(FLOOR_QUEUE), timeout=60,
                       what="floor consumer queue")
    url = f"http://127.0.0.1:{port}/requests"

    def warm():
        try:
            answer = requests.post(url, data=open311_form("warmup"), timeout=5)
        except requests.ConnectionError:
            return None
        return answer.status_code == 201 and request_id_of(answer)

    wait_until(warm, timeout=60, interval=0.2, what="floor intake answering")
    wait_until(lambda: receipts.read_text(), timeout=30, what="floor warm-up event consumed")

    load = drive(url, open311_form, args.requests, args.concurrency, request_id_of)
    wanted = {s.request_id for s in load.accepted}

    def consumed():
        lines = (line.split() for line in receipts.read_text().splitlines())
        return {key: float(at) for key, at in lines if key in wanted}

    wait_for_count(lambda: len(consumed()), len(wanted), timeout=args.timeout)
    completed_at = consumed()
    for process in processes:
        stop_process(process)
    return Outcome(load, completed_at)


# -- report --------------------------------------------------------------------------------
def port_open(port: int) -> bool:
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def show_log_tails(workdir: Path, services) -> None:
    print("\nNot every request completed; the services' logs end with:", file=sys.stderr)
    for service in services:
        lines = (workdir / f"{service}.log").read_text(errors="replace").splitlines()[-15:]
        print(f"--- {service}.log", *lines, sep="\n", file=sys.stderr)


def machine_facts(scratch: Scratch) -> list[tuple[str, str]]:
    cpu = next((line.split(":", 1)[1].strip() for line in read_lines("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor() or "unknown")
    memory = next((line.split()[1] for line in read_lines("/proc/meminfo")
                   if line.startswith("MemTotal")), None)
    try:
        overview = scratch.rabbit_overview()
        rabbit = f"RabbitMQ {overview.get('rabbitmq_version')}, Erlang {overview.get('erlang_version')}"
    except Exception as error:  # facts are best effort
        rabbit = f"RabbitMQ version unknown ({type(error).__name__})"
    with scratch.admin.connect() as connection:
        postgres = connection.execute(text("SHOW server_version")).scalar_one()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        ("machine", f"{os.cpu_count()} cores ({usable} usable by this process), {cpu}"
                    + (f", {int(memory) / 1024 ** 2:.1f} GiB RAM" if memory else "")),
        ("load average at start", ", ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("software", f"Python {platform.python_version()} ({platform.platform()}), "
                     f"nameko {importlib.metadata.version('nameko')}"),
        ("servers", f"{rabbit}; PostgreSQL {postgres} (all on this machine)"),
    ]


def read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def ms(seconds):
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def ratio(ours, floor):
    if ours is None or floor is None or floor == 0:
        return ""
    return f"{ours / floor:.2f}x"


def print_table(loop311: Outcome, floor: Outcome | None) -> None:
    """Loop311 beside the floor; without a floor run (--profile), its column stays empty."""
    head = ("", "Loop311", "floor", "Loop311/floor")
    rows = []

    def both(pick):
        return pick(loop311), (pick(floor) if floor is not None else None)

    def counts(label, pick):
        a, b = both(pick)
        rows.append((label, str(a), "" if b is None else str(b), ""))

    def rates(label, pick):
        a, b = both(pick)
        rows.append((label, f"{a:.1f}", "" if b is None else f"{b:.1f}", ratio(a, b)))

    def latencies(label, pick):
        rows.append((label, "", "", ""))
        a_values, b_values = both(pick)
        for q, name in ((50, "p50"), (90, "p90"), (99, "p99"), (100, "max")):
            a, b = percentile(a_values, q), percentile(b_values or [], q)
            rows.append((f"  {name}", ms(a), ms(b), ratio(a, b)))

    counts("requests posted", lambda o: len(o.load.samples))
    counts("accepted (HTTP 201)", lambda o: len(o.load.accepted))
    counts("errors", lambda o: len(o.load.samples) - len(o.load.accepted))
    counts("completed (notified / consumed)", lambda o: len(o.end_to_end()))
    rows.append(None)
    rates("POST phase wall time (s)", lambda o: o.load.elapsed)
    rates("throughput: POSTs accepted/s", lambda o: len(o.load.accepted) / o.load.elapsed)
    rates("throughput: completed/s",
          lambda o: len(o.end_to_end()) / o.completion_span() if o.completion_span() else 0.0)
    rows.append(None)
    latencies("POST latency (ms)", lambda o: [s.latency for s in o.load.accepted])
    latencies("POST → completed (ms)", lambda o: o.end_to_end())

    widths = [max(len(r[i]) for r in [head, *filter(None, rows)]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)

    def show(row):
        print(f"{row[0]:<{widths[0]}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(row[1:], widths[1:])))

    show(head)
    print(line)
    for row in rows:
        if row is None:
            print(line)
        else:
            show(row)
    print(line)


def print_replicas(one: Outcome, scaled: Outcome, intakes: int) -> None:
    """What more intake processes add: the same load, the clients split over their ports,
    everything else as before (one process per other service, same cores)."""
    print(f"\nLoop311 with {intakes} intake processes (same machine, fresh databases, the "
          f"{len(scaled.load.samples)} POSTs' clients split evenly over their ports):")
    for name, outcome in (("1 intake", one), (f"{intakes} intakes", scaled)):
        accepted = len(outcome.load.accepted)
        span = outcome.completion_span()
        latencies = [s.latency for s in outcome.load.accepted]
        print(f"  {name + ':':<11} accepted/s {accepted / outcome.load.elapsed:6.1f}, "
              f"completed/s {len(outcome.end_to_end()) / span if span else 0.0:6.1f}, "
              f"POST p50 {ms(percentile(latencies, 50))} ms, p99 {ms(percentile(latencies, 99))} "
              f"ms, POST → completed p50 {ms(percentile(outcome.end_to_end(), 50))} ms, "
              f"errors {len(outcome.load.samples) - accepted}")
    for label, value in scaled.checks:
        print(f"    {label + ':':<32}{value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, metavar="N",
                        help="POSTs per system (default 500)")
    parser.add_argument("--concurrency", type=int, default=20, metavar="C",
                        help="concurrent clients, one thread + HTTP session each (default 20)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="longest wait for the last completion after the POSTs, seconds")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the service logs (the directory is printed at the end)")
    parser.add_argument("--intake-replicas", type=int, default=2, metavar="K",
                        help="then run Loop311 again with K intake processes, to show what "
                             "replicas add on this machine (default 2; 1 skips that run)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="measure each Loop311 service's CPU per function (yappi) while "
                             "the load runs and write the profiles to DIR (the floor is then "
                             "not run)")
    args = parser.parse_args()
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")
    exit_on_sigterm()

    workdir = Path(tempfile.mkdtemp(prefix="loop311-bench-"))
    try:
        with Scratch(f"loop311_bench_{secrets.token_hex(4)}") as scratch:
            print("Loop311 end-to-end benchmark")
            for label, value in [*machine_facts(scratch),
                                 ("parameters", f"{args.requests} requests per system, "
                                                f"{args.concurrency} concurrent clients "
                                                "(closed loop: threads + requests.Session)"),
                                 ("scratch", f"vhost {scratch.vhost}, databases "
                                             f"{scratch.vhost}_<service>, workdir {workdir}"
                                             + ("" if args.keep_logs else " (removed at the end)")),
                                 ("Loop311 settings", "config.yml defaults, plus "
                                  + " ".join(f"{k}={v}" for k, v in LOOP311_ENV.items()))]:
                print(f"  {label + ':':<24}{value}")
            sys.stdout.flush()
            started = time.monotonic()
            loop311 = run_loop311(scratch, workdir, args)
            scaled = (run_loop311(scratch, workdir, args, intakes=args.intake_replicas)
                      if args.intake_replicas > 1 and not args.profile else None)
            floor = None if args.profile else run_floor(scratch, workdir, args)
    finally:
        if args.keep_logs:
            print(f"\nlogs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print("\nLoop311: intake (PostgreSQL commit + outbox) → RabbitMQ → notify (inbox, ledger) "
          "→ SMTP;\n         routing and sla consume the same events alongside.")
    print("floor:   bare nameko @http → EventDispatcher → @event_handler in a second process; "
          "no database.")
    print("completed = Loop311: confirmation email marked sent in notify's ledger (deliveries."
          "sent_at,\n            set when the SMTP sink accepted it); floor: event handled by "
          "the consumer.")
    print("POST → completed = that moment (UTC wall clock, written by the service) minus the "
          "client's\n            wall-clock time just before it sent the POST; same machine, "
          "same clock.\n")
    print_table(loop311, floor)
    for name, outcome in (("Loop311", loop311), ("floor", floor)):
        if outcome is not None and outcome.load.errors:
            print(f"{name} errors: " + ", ".join(f"{reason} x{count}" for reason, count
                                                  in outcome.load.errors.most_common()))
    print("\nLoop311 pipeline check (excluding the warm-up request):")
    for label, value in loop311.checks:
        print(f"  {label + ':':<32}{value}")
    if scaled is not None:
        print_replicas(loop311, scaled, args.intake_replicas)
    print(f"\nwhole run {time.monotonic() - started:.0f}s including start-up, warm-up and "
          "draining; " + (f"cleanup FAILED for: {'; '.join(scratch.failures)}" if scratch.failures
                          else "the scratch vhost, databases and processes are gone."))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("bench: interrupted; what it made has been removed", file=sys.stderr)
        sys.exit(130)
