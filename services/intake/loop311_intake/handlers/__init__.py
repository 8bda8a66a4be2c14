"""One handler per command and per consumed event; plain functions of (uow, command)."""
from .call_ins import take_call_in
from .catalog import import_catalog
from .category_models import (
    activate_category_model,
    category_suggestions,
    import_history,
    model_versions,
    train_category_model,
    training_run,
)
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

__all__ = ["activate_category_model", "add_comment", "category_suggestions", "change_status",
           "handle_directory_changed", "handle_request_assigned", "handle_request_reassigned",
           "handle_sla_started", "import_catalog", "import_history", "model_versions",
           "rate_request", "receive_email", "receive_text", "submit_request", "take_call_in",
           "train_category_model", "training_run"]
