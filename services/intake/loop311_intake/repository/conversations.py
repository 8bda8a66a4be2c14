"""The one writer of texters' half-finished reports, the photos they texted, and their
STOP/START choices."""
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ..commands import Image
from ..models import sms_conversations, sms_opt_outs, sms_photos


class ConversationRepository:
    def __init__(self, session: Session):
        self.session = session

    def current(self, phone: str, now: datetime):
        """The phone's unexpired conversation, locked until the work commits; or None."""
        return self.session.execute(
            select(sms_conversations).where(sms_conversations.c.phone == phone,
                                            sms_conversations.c.expires_at > now)
            .with_for_update()).first()

    def save(self, phone: str, state: str, draft: dict, expires_at: datetime) -> None:
        values = {"state": state, "draft": draft, "expires_at": expires_at}
        exists = self.session.execute(select(sms_conversations.c.phone)
                                      .where(sms_conversations.c.phone == phone)).first()
        if exists:
            self.session.execute(update(sms_conversations)
                                 .where(sms_conversations.c.phone == phone).values(**values))
        else:
            self.session.execute(insert(sms_conversations).values(phone=phone, **values))

    def end(self, phone: str) -> None:
        self.session.execute(delete(sms_conversations).where(sms_conversations.c.phone == phone))
        self.session.execute(delete(sms_photos).where(sms_photos.c.phone == phone))

    def keep_photo(self, phone: str, image: Image, now: datetime, stale_before: datetime) -> None:
        """Keep a texted photo for the report being written; photos of a conversation that
        was left unfinished go."""
        self.session.execute(delete(sms_photos).where(sms_photos.c.phone == phone,
                                                      sms_photos.c.received_at < stale_before))
        self.session.execute(insert(sms_photos).values(
            phone=phone, filename=image.filename[:255], content_type=image.content_type[:100],
            data=image.data, received_at=now))

    def photos(self, phone: str) -> tuple[Image, ...]:
        return tuple(Image(row.filename, row.content_type, row.data) for row in self.session.execute(
            select(sms_photos).where(sms_photos.c.phone == phone).order_by(sms_photos.c.id)))

    def set_opted_out(self, phone: str, opted_out: bool, now: datetime) -> None:
        self.session.execute(delete(sms_opt_outs).where(sms_opt_outs.c.phone == phone))
        if opted_out:
            self.session.execute(insert(sms_opt_outs).values(phone=phone, opted_out_at=now))
            self.end(phone)
