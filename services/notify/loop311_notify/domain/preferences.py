"""How a resident wants to hear from us: channel, language and quiet hours."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

CHANNELS = ("email", "sms")
# A message that answers what the resident just did is not held by quiet hours.
NEVER_HELD = ("received", "already_reported")


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, window: str, zone: str) -> "QuietHours | None":
        """From "21:00-08:00" and an IANA zone; None for none ("" or "off")."""
        if not window or window == "off":
            return None
        start, end = (time.fromisoformat(part) for part in window.split("-"))
        return cls(start, end, ZoneInfo(zone))

    def release_at(self, now: datetime) -> datetime:
        """`now` outside the quiet window; inside it, the window's end (as UTC)."""
        local = now.astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        crosses_midnight = self.start > self.end
        quiet = (clock >= self.start or clock < self.end) if crosses_midnight \
            else self.start <= clock < self.end
        if not quiet:
            return now
        end_day = local.date() + timedelta(days=1) if crosses_midnight and clock >= self.start \
            else local.date()
        return datetime.combine(end_day, self.end, tzinfo=self.zone).astimezone(now.tzinfo)


def channel_for(preferred: str | None, email: str | None, can_text: bool) -> str | None:
    """The resident's preferred channel when it can reach them, else email, else SMS."""
    if preferred == "sms" and can_text:
        return "sms"
    if email:
        return "email"
    return "sms" if can_text else None
