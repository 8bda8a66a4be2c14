"""Run the four services as separate `nameko run` processes, as an operator would.

Used by the end-to-end tests and the benchmark; `make run` uses honcho instead.
"""
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from loop311_shared.admin_cli import import_document, load_document

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIGURATION = ROOT / "config" / "demo"
# Which service owns which kind of reference data (see loop311-admin).
CONFIGURATION_OWNERS = {"catalog": "intake", "directory": "routing", "policies": "sla",
                        "topics": "notify"}
SUITE_ADMIN_TOKEN = "local-suite-admin-token"
DEMO_PLATFORM = "pinellas-county"  # the jurisdiction_id of config/demo's catalog
SERVICES = {
    "intake": "loop311_intake.service:IntakeService",
    "routing": "loop311_routing.service:RoutingService",
    "sla": "loop311_sla.service:SlaService",
    "notify": "loop311_notify.service:NotifyService",
}


class LocalSuite:
    def __init__(self, workdir: Path, amqp_uri: str, database_urls: dict, ports: dict,
                 smtp_port: int, extra_env: dict | None = None, launcher: list | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.amqp_uri = amqp_uri
        self.rate_limit_prefix = f"suite-{uuid.uuid4().hex[:8]}"
        self.database_urls = database_urls
        self.ports = ports
        self.smtp_port = smtp_port
        self.extra_env = extra_env or {}
        # What runs `nameko`'s command line: nameko itself, or a wrapper (a profiler).
        self.launcher = launcher or [str(Path(sys.executable).parent / "nameko")]
        self.processes: dict[str, subprocess.Popen] = {}

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def start(self, service: str, name: str | None = None) -> None:
        """Start `service`; a second process of it (a replica) needs a `name` of its own,
        with its port in `ports` under that name."""
        name = name or service
        env = {
            **os.environ,
            "AMQP_URI": self.amqp_uri,
            "DATABASE_URL": self.database_urls[service],
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.ports[name]}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "ADMIN_API_TOKENS": f"suite:{SUITE_ADMIN_TOKEN}",
            "JURISDICTION_ID": DEMO_PLATFORM,
            "NOTIFY_PUBLIC_URL": self.url("notify", "") if "notify" in self.ports else "",
            # Each suite counts its own rate limits (they live in the shared Redis).
            "RATE_LIMIT_PREFIX": self.rate_limit_prefix,
            **self.extra_env,
        }
        log = open(self.workdir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [*self.launcher, "run", "--config", str(ROOT / "services" / service / "config.yml"),
             SERVICES[service]],
            cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def start_all(self, timeout: float = 60.0) -> None:
        for service in SERVICES:
            self.start(service)
        for service in SERVICES:
            self.wait_healthy(service, timeout)
        self.load_configuration()

    def load_configuration(self, directory: Path = DEMO_CONFIGURATION) -> None:
        """Import the reference data through each owner's admin API, as make run does."""
        for kind, service in CONFIGURATION_OWNERS.items():
            document = load_document(directory / f"{kind}.yml")
            import_document(self.url(service, ""), kind, document, SUITE_ADMIN_TOKEN)

    def wait_healthy(self, service: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[service].poll() is not None:
                raise RuntimeError(f"{service} exited; see {self.workdir / (service + '.log')}")
            try:
                with urllib.request.urlopen(self.url(service, "/health"), timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{service} not healthy within {timeout}s")

    def kill(self, service: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(service)
        process.send_signal(sig)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        processes = list(self.processes.values())
        self.processes.clear()
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def log(self, service: str) -> str:
        return (self.workdir / f"{service}.log").read_text(errors="replace")
