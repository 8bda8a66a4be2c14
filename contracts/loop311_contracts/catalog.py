"""The event catalog: every type the services publish, its version, and who consumes it.

This module is the single source of truth for the broker topology. Exchanges are the
publishing service's `<service>.events` topic exchange (nameko's convention, so any nameko
service or AMQP client can bind to it); the routing key is the event type.
"""
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from . import schemas


@dataclass(frozen=True)
class EventContract:
    type: str
    version: int
    source: str
    schema: type
    private: bool = False
    # upcasters[n] turns version-n data into version n+1 data.
    upcasters: dict[int, Callable[[dict], dict]] = field(default_factory=dict)

    @cached_property
    def codec(self):
        """One instance of `schema`, shared: marshmallow schemas keep no state between
        loads and dumps, and building one costs more than using it."""
        return self.schema()

    @property
    def exchange(self) -> str:
        # Personal data travels on an exchange operators can lock down to intake and notify.
        return f"{self.source}.private" if self.private else f"{self.source}.events"


CATALOG = {
    contract.type: contract
    for contract in (
        EventContract("request_created", 3, "intake", schemas.RequestCreatedV3,
                      upcasters={1: schemas.request_created_v1_to_v2,
                                 2: schemas.request_created_v2_to_v3}),
        EventContract(
            "resident_contact_recorded", 3, "intake", schemas.ResidentContactRecordedV3,
            upcasters={1: schemas.resident_contact_recorded_v1_to_v2,
                       2: schemas.resident_contact_recorded_v2_to_v3},
            private=True,
        ),
        EventContract("request_status_changed", 1, "intake", schemas.RequestStatusChangedV1),
        EventContract("request_commented", 1, "intake", schemas.RequestCommentedV1),
        EventContract("request_followed", 1, "intake", schemas.RequestFollowedV1),
        EventContract("resident_rated", 1, "intake", schemas.ResidentRatedV1),
        EventContract(
            "resident_opted_out", 1, "intake", schemas.ResidentOptedOutV1, private=True,
        ),
        EventContract("request_assigned", 3, "routing", schemas.RequestAssignedV3,
                      upcasters={1: schemas.request_assigned_v1_to_v2,
                                 2: schemas.without_assignee_name}),
        EventContract("request_needs_triage", 2, "routing", schemas.RequestNeedsTriageV2,
                      upcasters={1: schemas.request_needs_triage_v1_to_v2}),
        EventContract("request_reassigned", 2, "routing", schemas.RequestReassignedV2,
                      upcasters={1: schemas.without_assignee_name}),
        EventContract("staff_directory_recorded", 2, "routing",
                      schemas.StaffDirectoryRecordedV2, private=True,
                      upcasters={1: schemas.staff_directory_recorded_v1_to_v2}),
        EventContract("directory_changed", 2, "routing", schemas.DirectoryChangedV2,
                      upcasters={1: schemas.directory_changed_v1_to_v2}),
        EventContract("sla_started", 2, "sla", schemas.SlaStartedV2,
                      upcasters={1: schemas.sla_started_v1_to_v2}),
        EventContract("sla_met", 1, "sla", schemas.SlaMetV1),
        EventContract("sla_breached", 1, "sla", schemas.SlaBreachedV1),
        EventContract("sla_reminder_due", 1, "sla", schemas.SlaReminderDueV1),
        EventContract("sla_escalated", 1, "sla", schemas.SlaEscalatedV1),
    )
}

# consumer service -> event types it handles. Publishers declare these queues before they
# publish, so an event is never dropped because its consumer has not started yet.
SUBSCRIPTIONS = {
    "routing": ("request_created", "request_status_changed"),
    "sla": ("request_created", "request_assigned", "request_status_changed", "request_reassigned",
            "request_commented", "directory_changed", "resident_rated"),
    "intake": ("request_assigned", "request_reassigned", "directory_changed", "sla_started"),
    "notify": ("request_created", "resident_contact_recorded", "resident_opted_out",
               "request_status_changed", "request_commented", "staff_directory_recorded",
               "request_assigned", "request_reassigned", "sla_reminder_due", "sla_escalated",
               "resident_rated"),
}
PUBLIC_EVENT_TYPES = tuple(c.type for c in CATALOG.values() if not c.private)
# notify's webhook fan-out takes public events on queues of its own.
SUBSCRIPTIONS["webhooks"] = PUBLIC_EVENT_TYPES
# Consumers whose queue of a type is bound to its exchange only while they want that type:
# notify binds a webhook queue when a webhook asks for its type and unbinds it when none
# does, so with no webhooks the fan-out costs the broker and notify nothing. Publishers
# leave these queues alone.
BOUND_BY_CONSUMER = frozenset({"webhooks"})


def contract_for(event_type: str) -> EventContract:
    return CATALOG[event_type]


def queue_name(consumer: str, event_type: str) -> str:
    return f"loop311.{consumer}.{event_type}"


def subscribers_of(event_type: str) -> list[str]:
    """The consumers whose queue of `event_type` is always bound, so publishers declare it."""
    return [consumer for consumer, types in SUBSCRIPTIONS.items()
            if event_type in types and consumer not in BOUND_BY_CONSUMER]
