"""Logs an operator can search: with LOG_FORMAT=json, one JSON object per line, and every
line written while a consumed event is handled carries its event id and request id."""
import json
import logging
from contextvars import ContextVar
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider

from loop311_contracts.envelope import Event

# Set in the worker's own green thread, so concurrent workers never see each other's.
handling: ContextVar[dict] = ContextVar("loop311_handling", default={})


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = ""):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
                "level": record.levelname, "service": self.service, "logger": record.name,
                "message": record.getMessage(), **handling.get()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class LogContext(DependencyProvider):
    """Puts the event a worker handles (its id, and the request it is about) into every
    log line the worker writes."""

    def worker_setup(self, worker_ctx):
        event = next((arg for arg in worker_ctx.args if isinstance(arg, Event)), None)
        handling.set({"event_id": event.id, "event_type": event.type,
                      "request_id": event.subject} if event else {})

    def worker_teardown(self, worker_ctx):
        handling.set({})
