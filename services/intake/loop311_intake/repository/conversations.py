"""The one writer of texters' half-finished reports and their STOP/START choices."""
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ..models import sms_conversations, sms_opt_outs


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

    def set_opted_out(self, phone: str, opted_out: bool, now: datetime) -> None:
        self.session.execute(delete(sms_opt_outs).where(sms_opt_outs.c.phone == phone))
        if opted_out:
            self.session.execute(insert(sms_opt_outs).values(phone=phone, opted_out_at=now))
            self.end(phone)
