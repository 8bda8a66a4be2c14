"""What notify can be asked to do."""
from dataclasses import dataclass


@dataclass(frozen=True)
class SmsStatus:
    """The SMS provider's status callback for one message."""

    provider_id: str
    status: str
