"""Prometheus metrics for a service, one registry per container.

A registry per container (not prometheus-client's global one) lets tests run several
containers in one process without duplicate-metric errors.
"""
import time
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .unit_of_work import Delivery


class Metrics(DependencyProvider):
    """Counts every entrypoint call by outcome (ok; applied or duplicate for events;
    expected_error for the caller's mistakes; error for bugs) and times it."""

    def setup(self):
        self.registry = CollectorRegistry()
        self.service = self.container.service_name
        self.calls = Counter(
            "loop311_entrypoint_calls", "Entrypoint calls by outcome",
            ["service", "entrypoint", "outcome"], registry=self.registry)
        self.latency = Histogram(
            "loop311_entrypoint_seconds", "Entrypoint duration",
            ["service", "entrypoint"], registry=self.registry)
        self.custom = {}
        self.started = WeakKeyDictionary()

    def get_dependency(self, worker_ctx):
        return self

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        entrypoint = worker_ctx.entrypoint
        if isinstance(result, Delivery):
            outcome = result.value
        elif exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], entrypoint.expected_exceptions or ()):
            outcome = "expected_error"
        else:
            outcome = "error"
        self.calls.labels(self.service, entrypoint.method_name, outcome).inc()
        started = self.started.pop(worker_ctx, None)
        if started is not None:
            self.latency.labels(self.service, entrypoint.method_name).observe(
                time.perf_counter() - started)

    def count(self, name: str, documentation: str, **labels) -> None:
        self._metric(Counter, name, documentation, labels).labels(**labels).inc()

    def set_gauge(self, name: str, documentation: str, value: float, **labels) -> None:
        self._metric(Gauge, name, documentation, labels).labels(**labels).set(value)

    def _metric(self, kind, name, documentation, labels):
        if name not in self.custom:
            self.custom[name] = kind(name, documentation, sorted(labels), registry=self.registry)
        return self.custom[name]

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
