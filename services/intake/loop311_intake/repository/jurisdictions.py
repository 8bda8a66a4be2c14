"""The one writer of intake's copy of the platform's jurisdictions (routing owns them)."""
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from ..models import jurisdictions


class JurisdictionRepository:
    def __init__(self, session: Session):
        self.session = session

    def version(self) -> int:
        return self.session.execute(
            select(func.coalesce(func.max(jurisdictions.c.directory_version), 0))).scalar_one()

    def replace(self, version: int, announced: list[dict]) -> None:
        self.session.execute(delete(jurisdictions))
        if announced:
            self.session.execute(insert(jurisdictions), [
                {"id": j["id"], "name": j["name"], "parent_id": j["parent"],
                 "offers": j["offers"], "directory_version": version} for j in announced])

    def offers(self, jurisdiction_id: str) -> list[str] | None:
        """What residents can report in this jurisdiction; None if it is not one we know."""
        return self.session.execute(select(jurisdictions.c.offers)
                                    .where(jurisdictions.c.id == jurisdiction_id)).scalar_one_or_none()
