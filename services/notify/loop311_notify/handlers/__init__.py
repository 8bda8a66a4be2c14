"""notify's handlers, one per consumed event or command: plain functions of (uow, x)."""
from ..commands import SetPreferences, SmsStatus
from ..domain.preferences import channel_for
from .broadcasts import (
    broadcast_report,
    cancel_broadcast,
    expand_broadcasts,
    import_topics,
    start_broadcast,
)
from .integrations import (
    create_integrator,
    delete_webhook,
    delivery_log,
    due_webhooks,
    get_webhook,
    handle_public_event,
    lease_webhook_work,
    list_integrators,
    list_webhooks,
    record_webhook_outcome,
    redeliver,
    register_webhook,
    revoke_integrator,
    settle_webhook_bindings,
    update_webhook,
    webhooks_listening,
)
from .residents import (
    handle_request_commented,
    handle_request_created,
    handle_request_status_changed,
    handle_resident_contact_recorded,
    handle_resident_opted_out,
    preferences_of,
    queue_confirmations,
    queue_update,
    record_sms_status,
    set_preferences,
    unsubscribe,
)
from .staff import (
    handle_request_assigned,
    handle_request_reassigned,
    handle_resident_rated,
    handle_sla_escalated,
    handle_sla_reminder_due,
    handle_staff_directory_recorded,
    send_due_digests,
    staff_channel,
)
from .subscriptions import confirm as confirm_subscription
from .subscriptions import follow_request_by_push, send_due_area_digests, subscribe
from .subscriptions import unsubscribe as leave_subscription

__all__ = [
    "create_integrator", "delete_webhook", "delivery_log", "due_webhooks", "get_webhook",
    "handle_public_event", "lease_webhook_work", "list_integrators", "list_webhooks",
    "record_webhook_outcome", "redeliver", "register_webhook", "revoke_integrator",
    "settle_webhook_bindings", "update_webhook", "webhooks_listening",
    "broadcast_report", "cancel_broadcast", "confirm_subscription", "expand_broadcasts",
    "follow_request_by_push", "import_topics", "leave_subscription", "send_due_area_digests",
    "start_broadcast", "subscribe",
    "SetPreferences", "SmsStatus", "channel_for", "handle_request_assigned",
    "handle_request_commented", "handle_request_created", "handle_request_reassigned",
    "handle_request_status_changed", "handle_resident_contact_recorded",
    "handle_resident_opted_out", "handle_resident_rated", "handle_sla_escalated",
    "handle_sla_reminder_due", "handle_staff_directory_recorded", "preferences_of",
    "queue_confirmations", "queue_update", "record_sms_status", "send_due_digests",
    "set_preferences", "staff_channel", "unsubscribe",
]
