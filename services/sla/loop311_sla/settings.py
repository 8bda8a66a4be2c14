"""Every environment variable sla reads, parsed once at start (see loop311_shared.settings).

(DEFAULT_RESOLVE_HOURS is no longer read: the default policy is part of the imported
policies document, with the calendars.)
"""
from pydantic import Field

from loop311_shared.settings import ServiceSettings


class SlaSettings(ServiceSettings):
    timer_poll_seconds: float = Field(
        5.0, gt=0, description="How often due reminders, breaches and escalations are looked "
                               "for (besides whenever a timer is set)")
    report_card_gauge_seconds: float = Field(
        60.0, gt=0, description="How often the report card's Prometheus gauges (on-time "
                                "shares, time to close) are recomputed; each costs one report "
                                "card query")
