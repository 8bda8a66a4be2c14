"""notify's unit of work: one transaction, with the ledger and opt-out repositories."""
from dataclasses import dataclass

from sqlalchemy.orm import Session

from loop311_shared.unit_of_work import UnitOfWork

from .domain.messages import Messages, default_messages
from .domain.preferences import QuietHours
from .models import inbox, outbox
from .repository import (
    BroadcastRepository,
    IntegrationRepository,
    LedgerRepository,
    OptOutRepository,
    PreferenceRepository,
    PushRepository,
    StaffRepository,
    SubscriptionRepository,
    TopicRepository,
    WorkRepository,
)


@dataclass(frozen=True)
class NotifyPolicy:
    """The settings that shape what residents receive and when, parsed once at start."""

    quiet_hours: str = ""
    time_zone: str = "UTC"
    intake_public_url: str = ""
    public_url: str = "http://127.0.0.1:8004"  # notify's own: subscription links
    phone_region: str = "US"
    push_platforms: frozenset[str] = frozenset()  # configured: webpush, fcm, apns
    push_allow_http: bool = False

    @classmethod
    def from_settings(cls, settings) -> "NotifyPolicy":
        return cls(settings.quiet_hours, settings.resident_time_zone,
                   settings.intake_public_url.rstrip("/"), settings.notify_public_url.rstrip("/"),
                   settings.default_phone_region, settings.push_platforms,
                   settings.push_allow_http)

    def quiet(self, preference) -> QuietHours | None:
        """The resident's quiet hours: their own when they set them, else the default."""
        if preference is not None and preference.quiet_start is not None:
            window = f"{preference.quiet_start}-{preference.quiet_end}" \
                if preference.quiet_start else ""
            return QuietHours.parse(window, preference.time_zone or self.time_zone)
        return QuietHours.parse(self.quiet_hours, (preference and preference.time_zone)
                                or self.time_zone)


class NotifyUnitOfWork(UnitOfWork):
    outbox = outbox
    inbox = inbox

    def __init__(self, session: Session, consumer: str | None = None,
                 messages: Messages | None = None, sms: bool = False,
                 policy: "NotifyPolicy | None" = None):
        super().__init__(session, consumer)
        self.ledger = LedgerRepository(session)
        self.opt_outs = OptOutRepository(session)
        self.staff = StaffRepository(session)
        self.preferences = PreferenceRepository(session)
        self.work = WorkRepository(session)
        self.push = PushRepository(session)
        self.subscriptions = SubscriptionRepository(session)
        self.topics = TopicRepository(session)
        self.broadcasts = BroadcastRepository(session)
        self.integrations = IntegrationRepository(session)
        self.messages = messages or default_messages()
        self.sms = sms  # whether texts can be sent (an SMS provider is configured)
        self.policy = policy or NotifyPolicy()
