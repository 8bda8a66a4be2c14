"""Items waiting for a digest, by owner (a staff member's hourly reminders, an area
subscription's daily new reports): kept once per key, taken by one replica once due."""
from datetime import datetime

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session


class DueItems:
    def __init__(self, session: Session, table: Table, owner: str):
        self.session = session
        self.table = table
        self.owner = table.c[owner]
        self.owner_name = owner

    def add(self, owner_id: str, request_id: str, line: str, dedupe_key: str,
            due_at: datetime) -> None:
        if self.session.execute(select(self.table.c.id)
                                .where(self.table.c.dedupe_key == dedupe_key)).first():
            return
        self.session.execute(insert(self.table).values(
            {self.owner_name: owner_id, "request_id": request_id, "line": line,
             "dedupe_key": dedupe_key, "due_at": due_at}))

    def owners_due(self, now: datetime) -> list[str]:
        return list(self.session.execute(
            select(self.owner).where(self.table.c.due_at <= now).distinct()).scalars())

    def take(self, owner_id: str, now: datetime):
        """The owner's due items, locked against other replicas and deleted; [] when
        another replica holds them."""
        rows = self.session.execute(
            select(self.table).where(self.owner == owner_id, self.table.c.due_at <= now)
            .order_by(self.table.c.id).with_for_update(skip_locked=True)).all()
        if rows:
            self.session.execute(delete(self.table).where(
                self.table.c.id.in_([row.id for row in rows])))
        return rows
