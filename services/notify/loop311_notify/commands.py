"""What notify can be asked to do."""
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SmsStatus:
    """The SMS provider's status callback for one message."""

    provider_id: str
    status: str


@dataclass(frozen=True)
class SetPreferences:
    """A resident's choices; `changes` holds only what they set (channel, language,
    quiet_start/quiet_end, time_zone). The request's token is the proof, `address` (an
    email or phone they reported with) says who they are."""

    request_id: str
    token: str | None  # None: staff ask on the resident's behalf (authenticated at the edge)
    address: str
    changes: dict


@dataclass(frozen=True)
class Subscribe:
    """Follow a request, an area or a topic on one channel. `address` is an email or a
    phone; for push, `push` is the browser's PushSubscription or an app's device token."""

    kind: str  # request, area, topic
    channel: str  # email, sms, push
    language: str
    address: str | None = None
    push: dict | None = None
    request_id: str | None = None
    topic: str | None = None
    area: dict | None = None
    categories: tuple[str, ...] | None = None
    frequency: str = "immediate"


@dataclass(frozen=True)
class SubscriptionLink:
    """A confirmation or unsubscribe link: the subscription and its token."""

    subscription_id: str
    token: str


@dataclass(frozen=True)
class StartBroadcast:
    """An announcement to a topic's or an area's subscribers; title and message by
    language (en required, es optional: English is sent where Spanish is missing)."""

    title: dict
    message: dict
    author: str
    topic: str | None = None
    area: dict | None = None


@dataclass(frozen=True)
class ImportTopics:
    document: dict
    author: str


@dataclass(frozen=True)
class FollowByPush:
    """A reporter's browser or app follows their request; the request's token is proof."""

    request_id: str
    token: str
    push: dict
    language: str = "en"


@dataclass(frozen=True)
class CreateIntegrator:
    name: str
    description: str
    created_by: str


@dataclass(frozen=True)
class RegisterWebhook:
    url: str
    event_types: list[str]
    description: str
    owner_email: str | None  # told when the endpoint is disabled
    created_by: str


@dataclass(frozen=True)
class UpdateWebhook:
    webhook_id: str
    changes: dict  # url, event_types, description, owner_email, status (active/paused)


@dataclass(frozen=True)
class Redeliver:
    """Deliver again: one delivery, or every event in [since, until) of the webhook."""

    webhook_id: str
    delivery_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
