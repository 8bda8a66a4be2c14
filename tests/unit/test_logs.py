"""LOG_FORMAT=json: one JSON object per line, with the event being handled on each."""
import json
import logging
from datetime import datetime, timezone
from types import SimpleNamespace

from loop311_shared.logs import JsonFormatter, LogContext
from support import received_event


def formatted(message, *args, exc_info=None) -> dict:
    record = logging.LogRecord("loop311.test", logging.WARNING, __file__, 1, message, args,
                               exc_info)
    return json.loads(JsonFormatter("routing").format(record))


def test_a_line_is_one_json_object_with_the_service():
    line = formatted("retrying %s in %d ms", "loop311.routing.request_created", 200)

    assert line["service"] == "routing" and line["level"] == "WARNING"
    assert line["message"] == "retrying loop311.routing.request_created in 200 ms"
    assert "event_id" not in line


def test_lines_written_while_an_event_is_handled_name_it_and_its_request():
    event = received_event("request_status_changed", {
        "request_id": "41", "service_code": "pothole", "previous_status": "open",
        "status": "acknowledged", "resolution": None, "public_note": None,
        "changed_at": datetime(2026, 11, 26, 10, tzinfo=timezone.utc)})
    context = LogContext()
    worker = SimpleNamespace(args=(event,))

    context.worker_setup(worker)
    during = formatted("handled")
    context.worker_teardown(worker)

    assert (during["event_id"], during["event_type"], during["request_id"]) == (
        event.id, "request_status_changed", "41")
    assert "event_id" not in formatted("after")


def test_an_exception_is_kept_on_its_line():
    try:
        raise ValueError("bad")
    except ValueError:
        import sys
        line = formatted("failed", exc_info=sys.exc_info())
    assert "ValueError: bad" in line["exception"] and "\n" not in json.dumps(line)
