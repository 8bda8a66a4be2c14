"""What notify can be asked to do."""
from dataclasses import dataclass


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
