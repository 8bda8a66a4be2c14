"""`/health` and `/metrics`, the same on every service.

A service class inherits these entrypoints; it must declare `database` (a `db.Database`)
and `metrics` (a `metrics.Metrics`).
"""
from marshmallow import Schema, fields
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from sqlalchemy import text
from werkzeug.wrappers import Response

from .logs import LogContext
from .messaging import StoppableQueueConsumer, broker_reachable
from .web import Doc, http, json_response


class HealthSchema(Schema):
    status = fields.String(metadata={"enum": ["ok", "degraded", "ready", "not ready"]})
    database = fields.String(metadata={"enum": ["ok", "unreachable"]})
    broker = fields.String(metadata={"enum": ["ok", "unreachable"]})
    consumers = fields.String(metadata={"enum": ["ok", "waiting"]})


class Consuming(DependencyProvider):
    """Whether this service's event consumers are attached to the broker now: the broker
    answering a new connection does not say that they came back after it restarted."""

    def setup(self):
        self.consumers = [extension for extension in self.container.extensions
                          if isinstance(extension, StoppableQueueConsumer)]

    def get_dependency(self, worker_ctx):
        return lambda: all(consumer.consuming for consumer in self.consumers)


class OperationalEndpoints:
    config = Config()
    log_context = LogContext()
    consuming = Consuming()

    @http("GET", "/health", doc=Doc("Whether the database and the broker answer",
                                     tags=("operations",),
                                     answers={200: ("Healthy", HealthSchema),
                                              503: ("Degraded", HealthSchema)}))
    def health(self, request):
        checks = self._checks()
        healthy = all(state == "ok" for state in checks.values())
        return json_response({"status": "ok" if healthy else "degraded", **checks},
                             status=200 if healthy else 503)

    @http("GET", "/health/live", doc=Doc(
        "Whether the process works (for a liveness probe: it never asks a dependency)",
        tags=("operations",), answers={200: ("Live", None)}))
    def live(self, request):
        return json_response({"status": "live"})

    @http("GET", "/health/ready", doc=Doc(
        "Whether it can do its work: database reachable and migrated, broker reachable, "
        "event consumers attached (for a readiness probe)", tags=("operations",),
        answers={200: ("Ready", HealthSchema), 503: ("Not ready", HealthSchema)}))
    def ready(self, request):
        checks = self._checks(migrated=True)
        checks["consumers"] = "ok" if self.consuming() else "waiting"
        ready = all(state == "ok" for state in checks.values())
        self.metrics.set_gauge("loop311_ready", "1 when the last readiness check passed",
                               1 if ready else 0, service=self.name)
        response = json_response({"status": "ready" if ready else "not ready", **checks},
                                 status=200 if ready else 503)
        if not ready:
            response.headers["Retry-After"] = "5"
        return response

    @http("GET", "/metrics", doc=Doc("Prometheus metrics", tags=("operations",),
                                      answers={200: ("Text exposition format", None)},
                                      answer_types=("text/plain",)))
    def prometheus_metrics(self, request):
        body, content_type = self.metrics.exposition()
        return Response(body, content_type=content_type)

    def _checks(self, migrated: bool = False) -> dict:
        """Each dependency "ok" or "unreachable"; with `migrated`, the database only once
        this service's migrations ran."""
        database = self._database_reachable() and (
            not migrated or self.database.info.get("migrated"))
        broker = broker_reachable(self.config[AMQP_URI_CONFIG_KEY])
        return {"database": "ok" if database else "unreachable",
                "broker": "ok" if broker else "unreachable"}

    def _database_reachable(self) -> bool:
        try:
            self.database.execute(text("SELECT 1"))
            return True
        except Exception:
            return False
