"""One handler per command and per consumed event; plain functions of (uow, command)."""
from .call_ins import take_call_in
from .catalog import import_catalog
from .emails import receive_email
from .events import (
    handle_directory_changed,
    handle_request_assigned,
    handle_request_reassigned,
    handle_sla_started,
)
from .ratings import rate_request
from .staff import add_comment, change_status
from .submission import submit_request
from .texts import receive_text

__all__ = ["add_comment", "change_status", "handle_directory_changed", "handle_request_assigned",
           "handle_request_reassigned",
           "handle_sla_started",
           "import_catalog", "rate_request", "receive_email", "receive_text", "submit_request",
           "take_call_in"]
