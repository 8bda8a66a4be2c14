"""Plumbing for bench/e2e.py: scratch infrastructure that is always removed, a closed-loop
HTTP load driver on plain threads, and percentiles.

Nothing here monkey-patches: the driver is ordinary blocking `requests` on OS threads.
"""
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from sqlalchemy import create_engine, text

from loop311_shared.db import with_driver

RABBIT_API = os.environ.get("BENCH_RABBIT_API", "http://127.0.0.1:15672")
RABBIT_AUTH = ("guest", "guest")
RABBIT_AMQP = os.environ.get("BENCH_RABBIT_AMQP", "pyamqp://guest:guest@127.0.0.1:5672")
ADMIN_DATABASE_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL",
                                    "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `with Scratch()` still cleans up."""
    def terminate(signum, frame):
        print("bench: terminated; removing what it made", file=sys.stderr)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


class Scratch:
    """A RabbitMQ vhost, PostgreSQL databases and processes made for one run.

    Every resource registers its own removal as soon as it exists; `__exit__` runs them
    newest first (processes, then databases, then the vhost), each one even if an earlier
    one failed, and reports failures on stderr instead of hiding the run's own error.
    """

    def __init__(self, vhost: str):
        self.vhost = vhost
        self._undo: list[tuple[str, Callable[[], object]]] = []
        self.admin = None
        self.failures: list[str] = []

    # -- lifecycle -----------------------------------------------------------------------
    def __enter__(self):
        try:
            self.admin = create_engine(with_driver(ADMIN_DATABASE_URL),
                                       isolation_level="AUTOCOMMIT")
            self.on_exit("dispose admin engine", self.admin.dispose)
            self._rabbit("put", f"/api/vhosts/{self.vhost}")
            self.on_exit(f"delete vhost {self.vhost}",
                         lambda: self._rabbit("delete", f"/api/vhosts/{self.vhost}"))
            self._rabbit("put", f"/api/permissions/{self.vhost}/guest",
                         json={"configure": ".*", "write": ".*", "read": ".*"})
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def on_exit(self, description: str, undo) -> None:
        self._undo.append((description, undo))

    def __exit__(self, *exc):
        while self._undo:
            description, undo = self._undo.pop()
            try:
                undo()
            except BaseException as error:  # keep going: the rest must be removed too
                self.failures.append(description)
                print(f"bench cleanup: could not {description}: {error!r}", file=sys.stderr)
        return False

    # -- resources -----------------------------------------------------------------------
    @property
    def amqp_uri(self) -> str:
        return f"{RABBIT_AMQP}/{self.vhost}"

    def database(self, label: str) -> str:
        name = f"{self.vhost}_{label}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.on_exit(f"drop database {name}", lambda: self._drop(name))
        return ADMIN_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"

    def spawn(self, name: str, args, **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(args, **kwargs)
        self.on_exit(f"stop {name} (pid {process.pid})", lambda: stop_process(process))
        return process

    def queue_exists(self, name: str) -> bool:
        answer = requests.get(f"{RABBIT_API}/api/queues/{self.vhost}/{name}", auth=RABBIT_AUTH,
                              timeout=15)
        return answer.status_code == 200

    def rabbit_overview(self) -> dict:
        return self._rabbit("get", "/api/overview").json()

    def _drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def _rabbit(self, method: str, path: str, **kwargs):
        answer = requests.request(method, RABBIT_API + path, auth=RABBIT_AUTH, timeout=15, **kwargs)
        answer.raise_for_status()
        return answer


def healthy(url: str) -> bool:
    """Whether a service at `url` answers its /health with 200."""
    try:
        return requests.get(f"{url}/health", timeout=2).status_code == 200
    except OSError:
        return False


def stop_process(process: subprocess.Popen, timeout: float = 20.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(interval)


def wait_for_count(count, expected: int, timeout: float, stall: float = 30.0,
                   interval: float = 0.5) -> int:
    """Poll `count()` until it reaches `expected`, `timeout` passes, or it stops growing
    for `stall` seconds. Returns the last count; the caller reports any shortfall."""
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while True:
        current = count()
        now = time.monotonic()
        if current != last:
            last, last_change = current, now
        if current >= expected or now > deadline or now - last_change > stall:
            return current
        time.sleep(interval)


# -- load --------------------------------------------------------------------------------
@dataclass
class Sample:
    number: int
    started_wall: float          # time.time() just before the POST was sent
    latency: float               # seconds, perf_counter around the POST
    ok: bool                     # HTTP 201
    request_id: str | None = None
    error: str | None = None


@dataclass
class LoadResult:
    samples: list[Sample]
    elapsed: float               # first POST start to last POST answered, seconds
    errors: Counter = field(default_factory=Counter)

    @property
    def accepted(self) -> list[Sample]:
        return [s for s in self.samples if s.ok]


def drive(urls: str | list[str], body_for, total: int, concurrency: int, id_of) -> LoadResult:
    """POST `total` requests from `concurrency` OS threads, each with its own
    requests.Session (its own keep-alive connection). Closed loop: a thread sends its next
    request as soon as the previous one is answered. Given several URLs (replicas), the
    threads are spread over them evenly."""
    urls = [urls] if isinstance(urls, str) else urls
    samples: list[Sample | None] = [None] * total
    next_number = iter(range(total))
    take = threading.Lock()
    stop = threading.Event()

    def client(url):
        with requests.Session() as session:
            while not stop.is_set():
                with take:
                    number = next(next_number, None)
                if number is None:
                    return
                data = body_for(number)
                started_wall, started = time.time(), time.perf_counter()
                try:
                    answer = session.post(url, data=data, timeout=60)
                    latency = time.perf_counter() - started
                    if answer.status_code == 201:
                        samples[number] = Sample(number, started_wall, latency, True,
                                                 request_id=id_of(answer))
                    else:
                        samples[number] = Sample(number, started_wall, latency, False,
                                                 error=f"HTTP {answer.status_code}")
                except requests.RequestException as exc:
                    samples[number] = Sample(number, started_wall,
                                             time.perf_counter() - started, False,
                                             error=type(exc).__name__)

    threads = [threading.Thread(target=client, args=(urls[i % len(urls)],), name=f"client-{i}",
                                daemon=True)
               for i in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    finally:
        stop.set()
    elapsed = time.perf_counter() - began
    done = [s for s in samples if s is not None]
    return LoadResult(done, elapsed, Counter(s.error for s in done if not s.ok))


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]
